// Draws every [data-chart] element with ECharts from the JSON in its attribute:
// {"type": "line"|"bar", "labels": [...], "money": "¥", "series": [{"name", "data", "type"?, "axis"?: 0|1, "format"?: "money"|"percent", "step"?: true}]}
(function () {
  function draw(el) {
    if (!window.echarts || el.dataset.drawn) return;
    var spec;
    try { spec = JSON.parse(el.dataset.chart); } catch (e) { return; }
    el.dataset.drawn = "1";
    var two = spec.series.some(function (s) { return s.axis === 1; });
    var chart = echarts.init(el, null, { renderer: "svg" });
    var fmt = function (kind, v) {
      if (v === null || v === undefined || v === "-") return "—";
      if (kind === "percent") return (v * 100).toFixed(1) + "%";
      if (kind === "points") return Number(v).toFixed(1);
      if (kind === "money") return (spec.money || "") + Number(v).toLocaleString("zh-CN", { maximumFractionDigits: 0 });
      return Number(v).toLocaleString("zh-CN");
    };
    // Axis numbers kept short (万/亿 in Chinese, k/M in English) so they never overlap or clip.
    var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
    var compact = function (v) {
      var a = Math.abs(v);
      if (zh) {
        if (a >= 1e8) return +(v / 1e8).toFixed(1) + "亿";
        if (a >= 1e4) return +(v / 1e4).toFixed(1) + "万";
      } else {
        if (a >= 1e6) return +(v / 1e6).toFixed(1) + "M";
        if (a >= 1e3) return +(v / 1e3).toFixed(1) + "k";
      }
      return String(v);
    };
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: spec.horizontal ? { left: 8, right: 24, top: 36, bottom: 28, containLabel: true } : { left: 56, right: two ? 56 : 16, top: 36, bottom: 28 },
      xAxis: spec.horizontal ? { type: "value", axisLabel: { formatter: compact, hideOverlap: true } } : { type: "category", data: spec.labels },
      yAxis: spec.horizontal ? { type: "category", data: spec.labels, inverse: true, axisLabel: { interval: 0 } }
        : two ? [{ type: "value", axisLabel: { formatter: compact } }, { type: "value", axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } }] : { type: "value", axisLabel: { formatter: compact } },
      series: spec.series.map(function (s) {
        return {
          name: s.name, type: s.type || spec.type || "line", data: s.data, yAxisIndex: s.axis || 0,
          smooth: !s.step, step: s.step ? "end" : false, connectNulls: true,
          tooltip: { valueFormatter: function (v) { return fmt(s.format, v); } }
        };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function all(root) { (root || document).querySelectorAll("[data-chart]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", function () {
    all();
    // Error replies to htmx requests (400, 403, 413, 422…) are shown where the answer would go.
    document.body.addEventListener("htmx:responseError", function (e) {
      var target = e.detail.target;
      if (!target) return;
      var doc = new DOMParser().parseFromString(e.detail.xhr.responseText || "", "text/html");
      var msg = doc.querySelector("#error-message");
      var p = document.createElement("p");
      p.className = "error";
      p.id = "request-error";
      p.textContent = msg ? msg.textContent : (e.detail.xhr.status + " " + e.detail.xhr.statusText);
      target.replaceChildren(p);
    });
    document.body.addEventListener("htmx:sendError", function (e) {
      if (e.detail.target) e.detail.target.textContent = "网络错误 / network error";
    });
    // Inline handlers are blocked by the Content-Security-Policy; pickers submit from here.
    document.querySelectorAll("[data-autosubmit]").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
    // Long work (a payroll run) says it is running and cannot be sent twice.
    document.querySelectorAll("button[data-busy]").forEach(function (b) {
      b.form.addEventListener("submit", function () {
        b.disabled = true;
        b.textContent = b.getAttribute("data-busy");
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  });
  document.addEventListener("htmx:afterSwap", function (e) { all(e.target); });
})();
// First-contact countdowns: [data-deadline] holds the deadline in Unix seconds; the text is
// refreshed every 30 s in the page's language.
(function () {
  function text(left) {
    var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
    var m = Math.floor(Math.abs(left) / 60), h = Math.floor(m / 60);
    m = m % 60;
    var span = zh ? (h > 0 ? h + " 小时 " + m + " 分" : m + " 分钟") : (h > 0 ? h + " h " + m + " min" : m + " min");
    if (left >= 0) return zh ? "剩余 " + span : span + " left";
    return zh ? "已超时 " + span : "overdue by " + span;
  }
  function tick() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Number(el.dataset.deadline) - now;
      el.textContent = text(left);
      var row = el.closest("tr");
      if (row) {
        row.classList.toggle("sla-late", left < 0);
        row.classList.toggle("sla-ok", left >= 0 && !row.classList.contains("sla-soon"));
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-deadline]")) { tick(); setInterval(tick, 30000); }
  });
})();
