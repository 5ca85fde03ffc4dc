// Alarm-system KPIs of the shift from GET /api/v1/kpis (computed server-side).

import { el, fmtDuration, t } from "./common.js";
import { sourceTitle } from "./directory.js";

export class KpiPanel {
  constructor(container, { onSelect }) {
    this.container = container;
    this.onSelect = onSelect;
    this.chartBox = el("div", { class: "kpi-chart" });
    this.chart = null;
    this.data = null;
  }

  set(data) {
    this.data = data;
    this.render();
  }

  render() {
    const k = this.data;
    if (!k) return;
    const card = (key, value, bad, id) =>
      el("div", { class: `kpi ${bad ? "bad" : "ok"}`, dataset: { kpi: id } }, el("b", {}, value), el("span", {}, t(key)));
    const top = el("div", { class: "kpi-top" },
      el("h3", {}, t("kpi.top")),
      el("ol", {}, k.top_sources.map((s) =>
        el("li", { dataset: { id: s.source_id, kind: s.source_kind } },
          el("span", {}, sourceTitle(s.source_id)), el("span", { class: "muted" }, `${s.count} · ${Math.round(s.share * 100)}%`)))));
    top.addEventListener("click", (event) => {
      const li = event.target.closest("li");
      if (li) this.onSelect(li.dataset.kind, li.dataset.id);
    });
    this.container.replaceChildren(
      card("kpi.per_hour", k.per_hour, k.per_hour > 6, "per_hour"),
      card("kpi.floods", `${k.floods.length}${k.flood_ms ? ` · ${fmtDuration(k.flood_ms)}` : ""}`, k.floods.length > 0, "floods"),
      card("kpi.chattering", k.chattering.length, k.chattering.length > 0, "chattering"),
      card("kpi.stale", k.stale.length, k.stale.length > 0, "stale"),
      card("kpi.ack", fmtDuration(k.mean_ack_ms), (k.mean_ack_ms || 0) > 600000, "ack"),
      this.chartBox,
      top,
    );
    if (!this.chart) {
      this.chart = echarts.init(this.chartBox);
      new ResizeObserver(() => this.chart.resize()).observe(this.chartBox);
    }
    const hours = k.hourly.map((_, i) => `-${k.hourly.length - i}h`);
    this.chart.setOption({
      animation: false,
      grid: { left: 28, right: 6, top: 10, bottom: 20 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: hours, axisLabel: { color: "#56627a", fontSize: 10 } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { color: "#56627a", fontSize: 10 },
        splitLine: { lineStyle: { color: "#16233a" } } },
      series: [{ type: "bar", data: k.hourly, itemStyle: { color: "#3ab4ff" },
        markLine: { silent: true, symbol: "none", data: [{ yAxis: 6 }],
          lineStyle: { color: "#f2c230", type: "dashed" }, label: { color: "#f2c230", formatter: "6/h" } } }],
    });
  }
}
