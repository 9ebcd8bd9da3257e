// Draws the charts of the management pages with Chart.js (chart.umd.js).
// Each <canvas data-chart="ID"> is fed by <script type="application/json"
// id="chart-ID"> holding {kind, title, labels, series: [{name, values,
// dashed}]}. Every chart has a table or text with the same numbers beside
// it, and series differ by dash as well as colour.
(function () {
  "use strict";
  var colours = ["#1f5fbf", "#6b7280", "#b45309", "#047857"];
  function draw() {
    if (typeof Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var src = document.getElementById("chart-" + canvas.dataset.chart);
      if (!src || canvas.dataset.drawn) { return; }
      canvas.dataset.drawn = "1";
      var data = JSON.parse(src.textContent);
      var bar = data.kind === "bar";
      new Chart(canvas, {
        type: bar ? "bar" : "line",
        data: {
          labels: data.labels,
          datasets: data.series.map(function (s, i) {
            var c = colours[i % colours.length];
            return {
              label: s.name, data: s.values, borderColor: c,
              backgroundColor: bar ? (s.dashed ? "rgba(107,114,128,0.25)" : c) : c,
              borderDash: s.dashed ? [6, 4] : [], borderWidth: 2, pointRadius: 0, spanGaps: false
            };
          })
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: "index", intersect: false },
          scales: { y: { beginAtZero: true } },
          plugins: { legend: { position: "bottom" } }
        }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  document.addEventListener("htmx:afterSettle", draw);
})();
