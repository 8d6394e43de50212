// nqpf workbench: the language switch re-labels the options of the selects in place (values and the current
// choice untouched). The server sends {select id: {value: label}}.
document.addEventListener("DOMContentLoaded", function () {
  Shiny.addCustomMessageHandler("nqpf-relabel", function (msg) {
    Object.entries(msg).forEach(function ([id, labels]) {
      var el = document.getElementById(id);
      if (!el || !el.options) return;
      Array.from(el.options).forEach(function (opt) {
        if (Object.prototype.hasOwnProperty.call(labels, opt.value)) opt.text = labels[opt.value];
      });
    });
  });
});
