// llmcost dashboard: progressive enhancement only. Every page works without this script;
// with it, the catalog table filters as you type and price histories are drawn with uPlot.
(function () {
  "use strict";

  // Live filtering of the rows of the current page (the form still searches everything).
  function liveFilter() {
    var input = document.querySelector("[data-live-filter]");
    if (!input) return;
    var table = document.getElementById(input.getAttribute("data-live-filter"));
    if (!table || !table.tBodies.length) return;
    var rows = table.tBodies[0].rows;
    var count = document.getElementById("live-count");
    function apply() {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var hay = rows[i].getAttribute("data-search") || "";
        var ok = terms.every(function (t) { return hay.indexOf(t) !== -1; });
        rows[i].hidden = !ok;
        if (ok) shown++;
      }
      if (count) {
        count.textContent = terms.length ? shown + " of " + rows.length + " on this page match; press Enter to search all." : "";
      }
    }
    input.addEventListener("input", apply);
  }

  var PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#4d7c0f", "#7c3aed", "#0f766e"];

  function money(v) {
    if (v == null) return "—";
    return "$" + (Math.abs(v) >= 1 ? v.toFixed(2) : Number(v.toPrecision(4)).toString());
  }

  // One chart per [data-chart] element, from the JSON block it names. The last column is
  // the end of the history (each current price holds until then): no point is drawn there.
  function drawChart(el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) return;
    var d = JSON.parse(source.textContent);
    var last = d.x.length - 1;
    function visible(u, si, show) {
      if (!show) return null;
      var out = [];
      var vals = u.data[si];
      for (var i = 0; i < last; i++) if (vals[i] != null) out.push(i);
      return out;
    }
    var hasTokens = d.series.some(function (s) { return s.scale === "per_million"; });
    var hasUnits = d.series.some(function (s) { return s.scale === "per_unit"; });
    var series = [{}].concat(d.series.map(function (s, i) {
      return {
        label: s.label,
        scale: s.scale,
        stroke: PALETTE[i % PALETTE.length],
        width: 2,
        spanGaps: true,
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: true, size: 7, filter: visible },
        value: function (u, v) { return money(v); }
      };
    }));
    var axes = [{}];
    if (hasTokens) axes.push({ scale: "per_million", label: "$ / M tokens", values: function (u, vs) { return vs.map(money); }, size: 70 });
    if (hasUnits) axes.push({ scale: "per_unit", side: 1, label: "$ / unit", grid: { show: false }, values: function (u, vs) { return vs.map(money); }, size: 70 });
    var scales = { x: { time: true } };
    if (hasTokens) scales.per_million = { range: function (u, min, max) { return [0, max > 0 ? max * 1.15 : 1]; } };
    if (hasUnits) scales.per_unit = { range: function (u, min, max) { return [0, max > 0 ? max * 1.15 : 1]; } };
    function width() { return Math.max(280, el.clientWidth); }
    var opts = { width: width(), height: 320, series: series, axes: axes, scales: scales, legend: { live: true } };
    var data = [d.x].concat(d.series.map(function (s) { return s.values; }));
    el.textContent = "";
    var plot = new uPlot(opts, data, el);
    var drawn = 0;
    for (var si = 1; si < plot.data.length; si++) {
      for (var i = 0; i < last; i++) if (plot.data[si][i] != null) drawn++;
    }
    el.setAttribute("data-points", String(drawn));
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) cancelAnimationFrame(pending);
      pending = requestAnimationFrame(function () { plot.setSize({ width: width(), height: 320 }); });
    });
  }

  function charts() {
    if (typeof uPlot === "undefined") return;
    var els = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < els.length; i++) drawChart(els[i]);
  }

  liveFilter();
  charts();
})();
