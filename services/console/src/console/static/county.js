/* County pages: the home page's ECharts charts, and downloads that show "正在生成…" while the file streams in. */
(function () {
  "use strict";
  var COLORS = ["#1d4ed8", "#b91c1c", "#047857", "#b45309"];

  function barChart(id, data, horizontal) {
    var el = document.getElementById(id);
    if (!el || !window.echarts || !data) return;
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    var category = { type: "category", data: data.categories, axisLabel: { interval: 0, overflow: "truncate", width: 150 } };
    var value = { type: "value", minInterval: 1 };
    chart.setOption({
      color: COLORS, animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category, yAxis: horizontal ? category : value,
      series: data.series.map(function (s) { return { name: s.name, type: "bar", data: s.data, barMaxWidth: 28 }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.rendered = "true";
  }

  function lineChart(id, data) {
    var el = document.getElementById(id);
    if (!el || !window.echarts || !data) return;
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      color: COLORS, animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.categories }, yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) { return { name: s.name, type: "line", data: s.data, symbolSize: 8 }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.rendered = "true";
  }

  function charts() {
    var holder = document.getElementById("chart-data");
    if (!holder) return;
    var data = JSON.parse(holder.textContent);
    lineChart("chart-trend", data.trend);
    barChart("chart-schools", data.schools, data.schools.categories.length > 6);
    barChart("chart-groups", data.groups, true);
  }

  function filename(response, fallback) {
    var header = response.headers.get("Content-Disposition") || "";
    var star = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (star) return decodeURIComponent(star[1]);
    var plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  function mb(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  async function download(link) {
    var status = document.querySelector(link.dataset.progress);
    var say = function (text, cls) { if (status) { status.textContent = text; status.className = cls || "hint"; } };
    link.setAttribute("aria-busy", "true");
    link.classList.add("busy");
    say("正在生成…");
    try {
      var response = await fetch(link.href, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
      if (!response.ok) {
        var holder = document.createElement("div");
        holder.innerHTML = await response.text();
        var words = holder.querySelector(".message");
        say("下载失败：" + (words ? words.textContent : response.status), "error");
        return;
      }
      var reader = response.body.getReader(), parts = [], got = 0;
      for (;;) {
        var step = await reader.read();
        if (step.done) break;
        parts.push(step.value);
        got += step.value.length;
        say("正在生成… 已接收 " + mb(got));
      }
      var blob = new Blob(parts, { type: response.headers.get("Content-Type") || "application/octet-stream" });
      var url = URL.createObjectURL(blob), a = document.createElement("a");
      a.href = url; a.download = filename(response, "ledger"); document.body.appendChild(a); a.click(); a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
      say("已生成（" + mb(got) + "）", "ok");
    } catch (err) {
      say("下载失败：网络中断，请重试", "error");
    } finally {
      link.removeAttribute("aria-busy");
      link.classList.remove("busy");
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.download[data-progress]");
    if (!link || !window.fetch || !window.ReadableStream) return;
    event.preventDefault();
    if (link.getAttribute("aria-busy") !== "true") download(link);
  });
  document.addEventListener("DOMContentLoaded", charts);
})();
