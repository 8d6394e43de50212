/* report.html (nqpf): draws the embedded plotly figures.
 *
 * The page sets window.NQPF_BOOT = {config: <plotly config>, topo: <empty topology>} before this script.
 *
 * plotly.js fetches a base-map topojson from its CDN for every geo subplot unless it is already in
 * window.PlotlyGeoAssets; the maps draw only the embedded outlines (base map hidden), so an empty topology is
 * registered under the names plotly would fetch. No request leaves the page.
 *
 * Figures register with NQPF.plot(id, spec); geojson given as a string key is replaced by the shared copy in
 * NQPF.geo (each outline set is embedded once). NQPF.start() (called at the end of the body) draws the figures
 * of the first screen and observes the rest, which are drawn when they come near the viewport, so the page
 * opens at once however many figures it has; printing draws them all first. window.NQPF_READY_MS is set when
 * the figures of the first screen are drawn; NQPF.drawAll() draws the rest.
 *
 * NQPF.table(id, {cols: [[label, numeric], ...], rows: [[cell, ...], ...], size: rows per page, words: {...}})
 * turns the empty <div id=id> into a searchable, sortable, paginated table (the report's view of one row per
 * unit for large panels): only the current page is in the DOM, the filter matches every cell's text (each
 * row's text is lower-cased once), a click on a header sorts by that column (numbers by value, text by
 * localeCompare; again to reverse). Plain DOM, no library, nothing fetched.
 *
 * NQPF.briefs(id[, data]) runs the unit selector of the chapter of unit briefs: without data the cards are in
 * the page and the <select> shows one (or all); with data ({cards: [[label, html], ...]}, large runs) the
 * chosen card is drawn into .briefbox and the search box narrows the selector's options.
 */
(function () {
  var boot = window.NQPF_BOOT || {config: {}, topo: {}};
  window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
  window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};
  ['world_110m', 'world_50m'].forEach(function (k) { window.PlotlyGeoAssets.topojson[k] = boot.topo; });
  window.NQPF = { geo: {}, specs: {}, drawn: {}, timings: [], config: boot.config,
    plot: function (id, fig) { NQPF.specs[id] = fig; },
    draw: function (id) {
      if (NQPF.drawn[id]) { return NQPF.drawn[id]; }
      var fig = NQPF.specs[id];
      fig.data.forEach(function (tr) {
        if (typeof tr.geojson === 'string' && NQPF.geo[tr.geojson]) { tr.geojson = NQPF.geo[tr.geojson]; }
      });
      var t0 = performance.now();
      var p = Plotly.newPlot(id, fig.data, fig.layout, NQPF.config);
      NQPF.timings.push([id, performance.now() - t0]);
      NQPF.drawn[id] = p;
      return p;
    },
    table: function (id, data) {
      var root = document.getElementById(id), w = data.words || {}, size = data.size || 50;
      var all = data.rows.map(function (r, i) { return {r: r, i: i, text: r.join('\u0001').toLowerCase()}; });
      var shown = all, page = 0, sortCol = -1, sortDir = 1, timer = null;
      var bar = document.createElement('div'); bar.className = 'tblbar';
      var input = document.createElement('input');
      input.type = 'search'; input.placeholder = w.search || 'Search'; input.setAttribute('aria-label', input.placeholder);
      var info = document.createElement('span'); info.className = 'note';
      var prev = document.createElement('button'); prev.type = 'button'; prev.textContent = '\u2039';
      var next = document.createElement('button'); next.type = 'button'; next.textContent = '\u203a';
      prev.setAttribute('aria-label', w.prev || 'previous page'); next.setAttribute('aria-label', w.next || 'next page');
      [input, prev, info, next].forEach(function (el) { bar.appendChild(el); });
      var wrap = document.createElement('div'); wrap.className = 'tablewrap';
      var table = document.createElement('table'); table.className = 'tbl';
      var thead = document.createElement('thead'), hr = document.createElement('tr'), tbody = document.createElement('tbody');
      data.cols.forEach(function (c, k) {
        var th = document.createElement('th'); th.textContent = c[0]; th.className = (c[1] ? '' : 'txt') + ' sortable';
        th.title = w.sort || 'sort'; th.addEventListener('click', function () { sortBy(k); }); hr.appendChild(th);
      });
      thead.appendChild(hr); table.appendChild(thead); table.appendChild(tbody); wrap.appendChild(table);
      root.appendChild(bar); root.appendChild(wrap);
      function key(v, num) { if (!num) { return v; } var x = parseFloat(v); return isNaN(x) ? -Infinity : x; }
      function sortBy(k) {
        sortDir = (sortCol === k) ? -sortDir : 1; sortCol = k;
        var num = data.cols[k][1];
        var cmp = num ? function (a, b) { return (key(a.r[k], 1) - key(b.r[k], 1)) * sortDir || a.i - b.i; }
          : function (a, b) { return String(a.r[k]).localeCompare(String(b.r[k])) * sortDir || a.i - b.i; };
        all.sort(cmp); filter(); 
        Array.prototype.forEach.call(hr.children, function (th, j) {
          th.setAttribute('aria-sort', j === k ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
        });
      }
      function filter() {
        var q = input.value.trim().toLowerCase();
        shown = q ? all.filter(function (o) { return o.text.indexOf(q) >= 0; }) : all;
        page = 0; render();
      }
      function render() {
        var pages = Math.max(1, Math.ceil(shown.length / size)), rows = shown.slice(page * size, (page + 1) * size);
        var html = rows.map(function (o) {
          return '<tr>' + o.r.map(function (v, k) {
            return '<td' + (data.cols[k][1] ? '' : ' class="txt"') + '>' + esc(v) + '</td>';
          }).join('') + '</tr>';
        }).join('');
        tbody.innerHTML = html;
        info.textContent = (shown.length ? (page * size + 1) + '\u2013' + (page * size + rows.length) : '0') + ' / '
          + shown.length + (shown.length < all.length ? ' (' + all.length + ')' : '') + ' \u00b7 ' + (page + 1) + '/' + pages;
        prev.disabled = page === 0; next.disabled = page >= pages - 1;
      }
      function esc(v) {
        return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      }
      input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(filter, 60); });
      prev.addEventListener('click', function () { if (page > 0) { page -= 1; render(); } });
      next.addEventListener('click', function () { if ((page + 1) * size < shown.length) { page += 1; render(); } });
      render();
      return {filter: function (q) { input.value = q; filter(); return shown.length; }, sort: sortBy};
    },
    briefs: function (id, data) {
      var root = document.getElementById(id), sel = root.querySelector('select');
      var search = root.querySelector('input[type=search]'), box = root.querySelector('.briefbox');
      var cards = data ? data.cards : null, arts = root.querySelectorAll('article.brief');
      function show(v) {
        if (cards) { box.innerHTML = (v === '' || v === undefined) ? '' : cards[+v][1]; return; }
        Array.prototype.forEach.call(arts, function (a, j) { a.hidden = !(v === 'all' || j === +v); });
      }
      if (search && cards) {
        search.addEventListener('input', function () {
          var q = search.value.trim().toLowerCase(), n = 0;
          sel.innerHTML = '';
          cards.forEach(function (c, k) {
            if (q && c[0].toLowerCase().indexOf(q) < 0) { return; }
            if (n >= 500) { return; }
            var o = document.createElement('option'); o.value = k; o.textContent = c[0]; sel.appendChild(o); n += 1;
          });
          show(sel.options.length ? sel.options[0].value : '');
        });
      }
      sel.addEventListener('change', function () { show(sel.value); });
      show(sel.value);
      return {show: function (v) { sel.value = String(v); show(sel.value); return sel.value; }};
    },
    drawAll: function () { return Promise.all(Object.keys(NQPF.specs).map(NQPF.draw)); },
    start: function () {
      var ids = Object.keys(NQPF.specs), first = [], margin = 600;
      var io = ('IntersectionObserver' in window) ? new IntersectionObserver(function (entries) {
        entries.forEach(function (e) {
          if (e.isIntersecting) { io.unobserve(e.target); NQPF.draw(e.target.id); }
        });
      }, {rootMargin: margin + 'px 0px'}) : null;
      ids.forEach(function (id) {
        var el = document.getElementById(id), r = el.getBoundingClientRect();
        if (!io || (r.top < window.innerHeight + margin && r.bottom > -margin)) { first.push(NQPF.draw(id)); }
        else { io.observe(el); }
      });
      window.addEventListener('beforeprint', function () { NQPF.drawAll(); });
      Promise.all(first).then(function () {
        window.NQPF_READY_MS = performance.now();
        document.body.setAttribute('data-ready', '1');
      }, function (err) { console.error('nqpf report: a figure failed to draw', err); });
    }
  };
})();
