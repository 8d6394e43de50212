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
