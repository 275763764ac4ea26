// Draws every [data-chart] element with ECharts from the JSON in its attribute:
// {"type": "line"|"bar", "labels": [...], "series": [{"name", "data", "type"?, "axis"?: 0|1, "percent"?: bool}]}
(function () {
  function draw(el) {
    if (!window.echarts || el.dataset.drawn) return;
    var spec;
    try { spec = JSON.parse(el.dataset.chart); } catch (e) { return; }
    el.dataset.drawn = "1";
    var two = spec.series.some(function (s) { return s.axis === 1; });
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 56, right: two ? 56 : 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: spec.labels },
      yAxis: two ? [{ type: "value" }, { type: "value", axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } }] : { type: "value" },
      series: spec.series.map(function (s) {
        return { name: s.name, type: s.type || spec.type || "line", data: s.data, yAxisIndex: s.axis || 0, smooth: true, connectNulls: true };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function all(root) { (root || document).querySelectorAll("[data-chart]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", function () {
    all();
    // Inline handlers are blocked by the Content-Security-Policy; pickers submit from here.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
  });
  document.addEventListener("htmx:afterSwap", function (e) { all(e.target); });
})();
