// Render the math spans written by pymdownx.arithmatex (generic mode) with the vendored KaTeX.
// Inline math arrives as <span class="arithmatex">\(...\)</span>, display math as <div class="arithmatex">\[...\]</div>.
(function () {
  function render(root) {
    if (typeof katex === "undefined") { return; }
    (root || document).querySelectorAll(".arithmatex").forEach(function (el) {
      if (el.getAttribute("data-katex") === "done") { return; }
      var tex = el.textContent.trim();
      var display = el.tagName === "DIV";
      tex = tex.replace(/^\\[\(\[]/, "").replace(/\\[\)\]]$/, "");
      katex.render(tex, el, { displayMode: display, throwOnError: false, strict: "ignore" });
      el.setAttribute("data-katex", "done");
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(function (doc) { render(doc.body || document); });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { render(document); });
  } else {
    render(document);
  }
})();
