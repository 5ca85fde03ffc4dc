// Channels and enterprises on a plain lat/lon plane (no map tiles, no internet), with
// district names at the centre of their points. ECharts scatter; redrawn at most once a
// second whatever the number of state changes.

import { t } from "./common.js";

const RIPPLES = 12;
const REDRAW_MS = 1500;
const COLORS = { normal: "#19c37d", alarm: "#ff3b3b", fault: "#ffa724", offline: "#56627a" };

export class MapView {
  constructor(container, { onSelect }) {
    this.chart = echarts.init(container, null, { renderer: "canvas" });
    this.channels = new Map();
    this.enterprises = [];
    this.timer = null;
    this.chart.on("click", (params) => {
      if (params.data && params.data.id) onSelect(params.data.kind, params.data.id);
    });
    new ResizeObserver(() => this.chart.resize()).observe(container);
  }

  setChannels(channels) {
    for (const c of channels) this.channels.set(c.id, { ...this.channels.get(c.id), ...c });
    this.schedule();
  }

  setState(id, state) {
    const channel = this.channels.get(id);
    if (channel && channel.state !== state) {
      channel.state = state;
      this.schedule();
    }
  }

  setEnterprises(enterprises) {
    this.enterprises = enterprises;
    this.schedule();
  }

  schedule() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.render();
    }, this.rendered ? REDRAW_MS : 0);
  }

  render() {
    this.rendered = true;
    const channels = [...this.channels.values()];
    const districts = new Map();
    for (const c of channels) {
      const d = districts.get(c.district) || { lon: 0, lat: 0, n: 0 };
      d.lon += c.lon; d.lat += c.lat; d.n += 1;
      districts.set(c.district, d);
    }
    const point = (c) => ({
      value: [c.lon, c.lat], id: c.id, kind: "gas_channel", name: c.name, state: c.state,
      itemStyle: { color: COLORS[c.state] || COLORS.offline },
      symbolSize: c.state === "alarm" ? 12 : c.state === "normal" ? 5 : 6,
      z: c.state === "alarm" ? 10 : 1,
    });
    // Ripples are costly: only the first RIPPLES alarms get one, the rest are plain red.
    const alarmed = channels.filter((c) => c.state === "alarm");
    const quiet = channels.filter((c) => c.state !== "alarm").map(point);
    quiet.push(...alarmed.slice(RIPPLES).map(point));
    // a flood: no ripples at all (they animate every frame)
    const alarms = alarmed.length > 3 * RIPPLES ? [] : alarmed.slice(0, RIPPLES).map(point);
    if (!alarms.length) quiet.push(...alarmed.slice(0, RIPPLES).map(point));
    const enterprises = this.enterprises.map((e) => ({
      value: [e.lon, e.lat], id: e.id, kind: "enterprise", name: e.name,
      itemStyle: {
        color: e.open_alert_count > 0 ? "#ff8a1f" : e.online ? "#3ab4ff" : "#56627a",
      },
    }));
    const labels = [...districts.entries()].map(([name, d]) => ({
      value: [d.lon / d.n, d.lat / d.n], name,
    }));
    this.chart.setOption({
      backgroundColor: "transparent",
      animation: false,
      grid: { left: 36, right: 12, top: 28, bottom: 24 },
      legend: {
        top: 2, right: 8, textStyle: { color: "#7f90ab" },
        data: [t("map.channels"), t("map.enterprises")],
      },
      tooltip: {
        trigger: "item",
        formatter: (p) => (p.data.id ? `${p.data.id}<br>${p.data.name}` : p.data.name),
      },
      xAxis: { type: "value", scale: true, axisLabel: { color: "#56627a", formatter: "{value}°E" },
        splitLine: { lineStyle: { color: "#16233a" } } },
      yAxis: { type: "value", scale: true, axisLabel: { color: "#56627a", formatter: "{value}°N" },
        splitLine: { lineStyle: { color: "#16233a" } } },
      series: [
        { name: t("map.channels"), type: "scatter", data: quiet, large: false,
          itemStyle: { color: COLORS.normal } },
        { name: t("map.channels") + " ", type: "effectScatter", data: alarms,
          rippleEffect: { scale: 3 }, itemStyle: { color: COLORS.alarm } },
        { name: t("map.enterprises"), type: "scatter", data: enterprises, symbol: "triangle",
          symbolSize: 9, itemStyle: { color: "#3ab4ff" } },
        { name: "districts", type: "scatter", data: labels, symbolSize: 0, silent: true,
          label: { show: true, formatter: "{b}", color: "#c8d6ec", fontSize: 13,
            fontWeight: "bold", textBorderColor: "#070d18", textBorderWidth: 3 } },
      ],
    }, { replaceMerge: ["series"] });
  }
}
