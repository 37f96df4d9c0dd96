/* contexta-git: draw every chart of the page with uPlot (inlined before this script).
   Each chart is a <figure class="cg-chart"> holding its data as JSON in a
   <script type="application/json"> (web/charts.py Chart.spec): lines of x and y arrays,
   joined here on one x axis; gaps between a line's points are bridged. */
(function () {
  "use strict";
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                 "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

  function options(spec, width) {
    var series = [{label: spec.x}];
    spec.lines.forEach(function (line, i) {
      series.push({label: line.name, stroke: PALETTE[i % PALETTE.length], width: 1.5,
                   spanGaps: true, points: {show: false}});
    });
    return {
      width: width, height: 320, series: series,
      scales: {x: {time: spec.x === "time"}, y: {distr: spec.log ? 3 : 1}},
      axes: [{label: spec.x === "time" ? "UTC time" : "step"}, {label: spec.log ? "log scale" : ""}],
      legend: {live: true},
      /* times read as UTC, as the terminal chart and the records say them */
      tzDate: function (seconds) { return uPlot.tzDate(new Date(seconds * 1e3), "Etc/UTC"); }
    };
  }

  function draw(figure) {
    var holder = figure.querySelector("script[type='application/json']");
    var spec = JSON.parse(holder.textContent);
    var place = figure.querySelector(".cg-plot");
    var data = uPlot.join(spec.lines.map(function (line) { return [line.x, line.y]; }));
    var width = Math.max(320, place.clientWidth || 800);
    var plot = new uPlot(options(spec, width), data, place);
    figure.setAttribute("data-series", String(spec.lines.length));
    figure.setAttribute("data-drawn", "true");
    window.addEventListener("resize", function () {
      plot.setSize({width: Math.max(320, place.clientWidth || 800), height: 320});
    });
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll("figure.cg-chart"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
