// The city map: Qingdao's district boundaries (ECharts `geo`, vendored map data, no
// tiles, no internet) at the right aspect for 36° N, with the gas channels and heating
// enterprises on it coloured by state. Quiet (normal) sources are clustered in screen
// space when dense; a source in alarm, fault or offline is always drawn on its own.
// A source in a maintenance window keeps its state colour inside a dashed violet ring
// and is never clustered away. Click a source for its detail, a cluster or a district to zoom in. Redrawn at most
// once a second whatever the number of state changes, and once a frame while roaming.

import { districtName, el, maintenanceText, t } from "./common.js";
import { CITY_MAP, cluster, districtsOf, isUrban, labelOffset } from "./map-cluster.js";

const RIPPLES = 12;
const REDRAW_MS = 1500;
const LAT_CENTRE = 36.3; // the city spans 35.6–37.1° N
export const ASPECT = Math.cos((LAT_CENTRE * Math.PI) / 180); // x:y of a degree, ~0.81
export const STATE_COLORS = { normal: "#19c37d", alarm: "#ff3b3b", fault: "#ffa724", offline: "#56627a" };
const MAINT_COLOR = "#a78bfa"; // --maint
const AREA = { normal: "#0f1d33", alarm: "#3a1622", fault: "#2f2611" };

export class MapView {
  constructor(container, { onSelect, legend, reset }) {
    this.container = container;
    this.legend = legend;
    this.chart = echarts.init(container, null, { renderer: "canvas" });
    this.channels = new Map();
    this.enterprises = [];
    this.timer = null;
    this.frame = 0;
    this.selected = null;
    this.chart.on("click", (params) => this.clicked(params, onSelect));
    this.chart.on("georoam", () => this.scheduleFrame());
    reset?.addEventListener("click", () => this.zoomTo(null, 1));
    new ResizeObserver(() => {
      this.chart.resize();
      this.scheduleFrame();
    }).observe(container);
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

  /** Mark a source (the one in the detail panel). */
  select(id) {
    this.selected = id;
    this.schedule();
  }

  schedule() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.render();
    }, this.rendered ? REDRAW_MS : 0);
  }

  scheduleFrame() {
    if (this.frame || !this.rendered) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderSeries();
    });
  }

  clicked(params, onSelect) {
    const data = params.data || {};
    if (data.id) onSelect(data.kind, data.id);
    else if (data.members) this.zoomTo([data.value[0], data.value[1]], this.zoom() * 2.5);
    else if (params.componentType === "geo" && params.name) {
      const d = this.districts.find((x) => x.feature === params.name);
      if (d) this.zoomTo(d.cp, Math.max(this.zoom(), 3));
    }
  }

  zoomTo(center, zoom) {
    this.chart.setOption({ geo: { center, zoom } });
    this.scheduleFrame();
  }

  zoom() {
    return this.chart.getModel()?.getComponent("geo")?.get("zoom") || 1;
  }

  /** Sources as points: channels by their state, enterprises by alerts / on-line. */
  sources() {
    const channels = [...this.channels.values()].map((c) => ({
      id: c.id, kind: "gas_channel", name: c.name, lon: c.lon, lat: c.lat,
      district: c.district, state: c.state || "offline", maintenance: c.maintenance || null,
    }));
    const enterprises = this.enterprises.map((e) => ({
      id: e.id, kind: "enterprise", name: e.name, lon: e.lon, lat: e.lat, district: e.district,
      state: e.open_alert_count > 0 ? "alarm" : e.online ? "normal" : "offline",
      maintenance: e.maintenance || null,
    }));
    return [...channels, ...enterprises];
  }

  render() {
    this.rendered = true;
    if (!this.districts) {
      this.chart.setOption(this.baseOption());
      this.districts = districtsOf(echarts.getMap(CITY_MAP)?.geoJSON);
      this.container.dataset.districts = this.districts.map((d) => d.district).join(",");
    }
    this.renderLegend();
    this.renderSeries();
  }

  baseOption() {
    return {
      backgroundColor: "transparent",
      animation: false,
      tooltip: { trigger: "item", confine: true, formatter: (p) => this.tooltip(p) },
      geo: {
        map: CITY_MAP, roam: true, aspectScale: ASPECT, scaleLimit: { min: 0.8, max: 40 },
        layoutCenter: ["50%", "50%"], layoutSize: "96%", zoom: 1, // keeps the aspect
        label: { show: false }, emphasis: { label: { show: false }, itemStyle: { areaColor: "#17304f" } },
        itemStyle: { areaColor: AREA.normal, borderColor: "#3b5f8f", borderWidth: 1 },
        select: { disabled: true }, tooltip: { show: false },
      },
    };
  }

  tooltip(p) {
    const d = p.data || {};
    if (d.members) return t("map.cluster", { n: d.members.length });
    if (d.id) {
      const maintenance = maintenanceText(d.maintenance);
      return `${d.id}<br>${d.name || ""}<br>${t(`src.${d.state}`)}${maintenance ? `<br>${maintenance}` : ""}`;
    }
    return "";
  }

  renderSeries() {
    const all = this.sources();
    const zoom = this.zoom();
    const toPixel = (lonLat) => this.chart.convertToPixel({ geoIndex: 0 }, lonLat);
    const apart = (s) => s.state !== "normal" || s.maintenance || s.id === this.selected;
    const quiet = all.filter((s) => !apart(s));
    const loud = all.filter(apart);
    const { clusters, singles } = cluster(quiet, toPixel);
    const point = (s) => ({
      value: [s.lon, s.lat], id: s.id, kind: s.kind, name: s.name, state: s.state,
      maintenance: s.maintenance,
      symbol: s.kind === "enterprise" ? "triangle" : "circle",
      symbolSize: (s.state === "alarm" ? 12 : s.state === "normal" ? 6 : 8) + (s.id === this.selected ? 6 : 0)
        + (s.maintenance ? 4 : 0),
      itemStyle: {
        color: STATE_COLORS[s.state] || STATE_COLORS.offline,
        borderColor: s.id === this.selected ? "#ffffff" : s.maintenance ? MAINT_COLOR : "#070d18",
        borderWidth: s.id === this.selected || s.maintenance ? 2 : 0.5,
        borderType: s.maintenance ? "dashed" : "solid",
      },
    });
    const alarmed = loud.filter((s) => s.state === "alarm");
    // ripples animate every frame: the first few alarms only, none in a flood
    const rippling = alarmed.length > 3 * RIPPLES ? [] : alarmed.slice(0, RIPPLES);
    const still = [...singles, ...loud.filter((s) => !rippling.includes(s))];
    const worst = this.worstByDistrict(all);
    this.container.dataset.points = String(singles.length + loud.length + clusters.reduce((n, c) => n + c.members.length, 0));
    this.container.dataset.clusters = String(clusters.length);
    this.container.dataset.maintenance = all.filter((s) => s.maintenance).map((s) => s.id).join(",");
    this.chart.setOption({
      geo: {
        regions: this.districts.map((d) => ({
          name: d.feature, itemStyle: { areaColor: AREA[worst.get(d.district)] || AREA.normal },
        })),
      },
      series: [
        { id: "clusters", type: "scatter", coordinateSystem: "geo", z: 3,
          data: clusters.map((c) => ({
            value: [c.lon, c.lat], members: c.members,
            symbolSize: Math.min(40, 16 + Math.sqrt(c.members.length) * 3),
          })),
          itemStyle: { color: "rgba(25,195,125,.35)", borderColor: "#19c37d", borderWidth: 1.5 },
          label: { show: true, formatter: (p) => String(p.data.members.length), color: "#e6fff4", fontSize: 11 } },
        { id: "points", type: "scatter", coordinateSystem: "geo", z: 4, data: still.map(point) },
        { id: "alarms", type: "effectScatter", coordinateSystem: "geo", z: 5, data: rippling.map(point),
          rippleEffect: { scale: 3 } },
        { id: "districts", type: "scatter", coordinateSystem: "geo", z: 6, silent: true, symbolSize: 0,
          data: this.districts.map((d) => ({ value: d.cp, name: districtName(d.district),
            labelLine: { show: isUrban(d.district) } })),
          label: { show: true, formatter: "{b}", color: "#d5e3f7", fontSize: 13, fontWeight: "bold",
            textBorderColor: "#070d18", textBorderWidth: 3 },
          labelLine: { lineStyle: { color: "#7f90ab", width: 1 } },
          labelLayout: (params) => {
            const [dx, dy] = labelOffset(this.districts[params.dataIndex]?.district, zoom);
            return { dx, dy, hideOverlap: true };
          } },
      ],
    }, { replaceMerge: ["series"] });
  }

  worstByDistrict(all) {
    const rank = { alarm: 2, fault: 1 };
    const worst = new Map();
    for (const s of all) {
      if (!rank[s.state] || s.kind !== "gas_channel") continue;
      if ((rank[worst.get(s.district)] || 0) < rank[s.state]) worst.set(s.district, s.state);
    }
    return worst;
  }

  renderLegend() {
    if (!this.legend) return;
    const dot = (color, shape) => el("i", { class: `shape-${shape}`, style: `background:${color}` });
    this.legend.replaceChildren(
      ...["normal", "alarm", "fault", "offline"].map((s) =>
        el("span", {}, dot(STATE_COLORS[s], "dot"), t(`src.${s}`))),
      el("span", {}, dot("#7f90ab", "dot"), t("map.channels")),
      el("span", {}, dot("#7f90ab", "tri"), t("map.enterprises")),
      el("span", {}, el("i", { class: "shape-dot maint-ring" }), t("maint.badge")),
    );
  }
}
