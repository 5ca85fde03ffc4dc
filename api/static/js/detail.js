// The detail panel of a channel, station, meter or enterprise: facts, a 24 h history
// chart with the rule set-points drawn on it, and the source's open alerts with the
// operator actions (ack, shelve, out of service, close, assign), each with a note, its
// incident timeline and its notifications. It floats over the map (its `anchor`): the
// alert list, the tiles, the KPIs and the enterprises stay in view and clickable;
// "minimise" hides it behind a tab without losing what it shows (Escape too), "close"
// ends it.

import {
  act, districtName, el, fmtNumber, fmtTime, getJSON, maintenanceText, openAlerts, t, tOr, toast,
} from "./common.js";
import { ownerName } from "./directory.js";
import { alertText, allRules, loadRules, metricName, metricTitle, metricValue, ruleName } from "./messages.js";
import { notificationsBox, timelineBox } from "./timeline.js";

const KIND_PATH = { gas_channel: "channels", station: "stations", meter: "meters", enterprise: "enterprises" };
const SEV_COLOR = { critical: "#ff3b3b", major: "#ff8a1f", minor: "#f2c230", warning: "#4fa3ff" };
const SHELVE_MINUTES = [15, 30, 60, 120, 480, 1440];

export function kindOf(id) {
  if (id.startsWith("GAS-")) return "gas_channel";
  if (id.startsWith("MTR-")) return "meter";
  if (/^HEAT-\d+-S\d+$/.test(id)) return "station";
  return "enterprise";
}

export class DetailPanel {
  constructor(root, { actor, onChange, tab, anchor }) {
    this.root = root;
    this.tab = tab;
    this.anchor = anchor;
    window.addEventListener("resize", () => this.place());
    this.title = root.querySelector("#detail-title");
    this.kindLabel = root.querySelector("#detail-kind");
    this.body = root.querySelector("#detail-body");
    this.actor = actor;
    this.onChange = onChange;
    this.current = null;
    this.chart = null;
    this.rules = null;
    this.highlight = null;
    this.reloadTimer = null;
    root.querySelector("#detail-close").addEventListener("click", () => this.close());
    root.querySelector("#detail-min").addEventListener("click", () => this.minimize());
    tab?.addEventListener("click", () => this.restore());
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !this.root.hidden) this.minimize();
    });
  }

  close() {
    this.root.hidden = true;
    if (this.tab) this.tab.hidden = true;
    this.current = null;
    this.chart?.dispose();
    this.chart = null;
  }

  /** Hide the panel behind a tab; its contents, chart and half-typed notes stay. */
  minimize() {
    if (!this.current) return;
    this.root.hidden = true;
    if (this.tab) {
      this.tab.textContent = `▸ ${this.title.textContent}`;
      this.tab.hidden = false;
    }
  }

  /** Cover the anchor (the map panel) exactly. */
  place() {
    if (!this.anchor) return;
    const r = this.anchor.getBoundingClientRect();
    Object.assign(this.root.style, { left: `${r.left}px`, top: `${r.top}px`, width: `${r.width}px`, height: `${r.height}px` });
    if (this.tab) Object.assign(this.tab.style, { left: `${r.left + 8}px`, top: `${r.bottom - 40}px` });
  }

  restore() {
    this.place();
    this.root.hidden = false;
    if (this.tab) this.tab.hidden = true;
    this.chart?.resize();
  }

  /** The language changed: show the same source again in the new language. */
  refresh() {
    if (this.current && !this.root.hidden) {
      this.open(this.current.kind, this.current.id, this.highlight).catch((error) => console.warn(error));
    } else if (this.current && this.tab) {
      this.tab.textContent = `▸ ${this.title.textContent}`;
    }
  }

  /** Open the drawer on a source; `alertId` is highlighted among its alerts. */
  async open(kind, id, alertId = null) {
    kind = kind || kindOf(id);
    this.current = { kind, id };
    this.highlight = alertId;
    this.place();
    this.root.hidden = false;
    if (this.tab) this.tab.hidden = true;
    this.kindLabel.textContent = t(`kind.${kind}`);
    this.title.textContent = id;
    this.chart?.dispose();
    this.chart = null;
    this.facts = el("dl", { class: "facts" });
    this.chartBox = el("div", { class: "chart", id: "detail-chart" });
    this.metricPick = el("div", { class: "metric-pick" });
    this.alertsBox = el("div", { class: "detail-alerts", id: "detail-alerts" });
    this.extra = el("div");
    const parts = [this.facts];
    if (kind !== "enterprise") {
      parts.push(el("h3", { class: "small muted" }, t("detail.history")), this.metricPick, this.chartBox);
    }
    parts.push(el("h3", { class: "small muted" }, t("detail.alerts")), this.alertsBox, this.extra);
    this.body.replaceChildren(...parts);
    const entity = await getJSON(`/${KIND_PATH[kind]}/${encodeURIComponent(id)}`);
    if (this.current?.id !== id) return;
    this.entity = entity;
    this.renderFacts(kind, entity);
    const alerts = this.loadAlerts();
    if (kind !== "enterprise") {
      await loadRules();
      this.rules = allRules().filter((r) => r.type === "threshold");
      const metrics = this.metricsOf(kind, entity);
      this.renderMetricPick(metrics);
      await Promise.all([this.loadChart(metrics[0]), alerts]);
    } else {
      this.renderStations(entity.stations);
      await alerts;
    }
  }

  /** An alert of this source changed: reload its alerts (debounced). */
  touched(event) {
    const current = this.current;
    if (!current) return;
    const mine = event.source_id === current.id ||
      (current.kind === "enterprise" && event.source_id.startsWith(`${current.id}-`));
    if (!mine) return;
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => this.loadAlerts(), 150);
  }

  renderFacts(kind, e) {
    const rows = [];
    const add = (key, value) => rows.push(el("dt", {}, t(key)), el("dd", {}, value ?? "—"));
    this.title.textContent = `${e.id} ${e.name ?? ""}`;
    if (e.address) add("detail.address", e.address);
    add("ent.district", districtName(e.district));
    add("detail.location", `${fmtNumber(e.lat, 5)}°N ${fmtNumber(e.lon, 5)}°E`);
    if (kind === "gas_channel") {
      add("detail.state", t(`src.${e.state}`));
      add("detail.site", tOr(`site.${e.site_type}`, e.site_type));
      add("detail.reading", e.last_reading
        ? `${metricValue("lel_pct", e.last_reading.lel_pct)} · ${fmtTime(e.last_reading.ts_ms)}` : "—");
      add("detail.setpoints", `${metricValue("lel_pct", e.low_pct)} / ${metricValue("lel_pct", e.high_pct)}`);
      add("detail.owner", ownerName(e.owner));
    }
    if (kind === "station") add("detail.enterprise", `${e.enterprise_id} ${e.enterprise_name}`);
    if (kind === "enterprise") {
      add("ent.online", t(e.online ? "yes" : "no"));
      add("ent.rate", `${Math.round(e.online_rate_today * 100)}%`);
      add("ent.stations", e.station_count);
    }
    if (kind === "meter") add("detail.owner", `${ownerName(e.owner)} · ${e.model}`);
    if (e.maintenance) add("detail.maintenance", maintenanceText(e.maintenance));
    add("detail.last_seen", fmtTime(e.last_seen_ms ?? e.last_data_ms));
    this.facts.replaceChildren(...rows);
  }

  metricsOf(kind, entity) {
    if (kind === "gas_channel") return ["lel_pct"];
    const known = Object.keys(entity.latest || {});
    const ruled = this.rules.filter((r) => r.kind === kind).map((r) => r.metric);
    const preferred = kind === "station"
      ? ["secondary_supply_temp_c", "indoor_temp_c", "primary_supply_pressure_mpa", ...ruled]
      : ["flow_m3h", "volume_m3"];
    const ordered = [...new Set([...preferred.filter((m) => known.includes(m) || ruled.includes(m)), ...known])];
    return ordered.length ? ordered : [preferred[0]];
  }

  renderMetricPick(metrics) {
    if (metrics.length < 2) return;
    const select = el("select", { "aria-label": t("detail.metric") },
      metrics.map((m) => el("option", { value: m }, metricName(m))));
    select.addEventListener("change", () => this.loadChart(select.value));
    this.metricPick.replaceChildren(el("label", {}, `${t("detail.metric")} `, select));
  }

  /** Set-points to draw: the channel's own low/high %LEL, else the rules' levels. */
  setpoints(metric) {
    const { kind } = this.current;
    if (kind === "gas_channel") {
      return [
        { value: this.entity.low_pct, severity: "major" },
        { value: this.entity.high_pct, severity: "critical" },
      ];
    }
    return this.rules
      .filter((r) => r.kind === kind && r.metric === metric)
      .flatMap((r) => r.levels);
  }

  async loadChart(metric) {
    const { id } = this.current;
    let series;
    try {
      series = await getJSON(`/series/${encodeURIComponent(id)}`, { metric });
    } catch (error) {
      series = { buckets: [] };
    }
    if (this.current?.id !== id) return;
    this.chart ??= echarts.init(this.chartBox);
    const lines = this.setpoints(metric).map((level) => ({
      yAxis: level.value,
      lineStyle: { color: SEV_COLOR[level.severity], type: "dashed", width: 1.5 },
      label: { color: SEV_COLOR[level.severity], formatter: metricValue(metric, level.value) },
    }));
    const data = series.buckets.map((b) => [b.ts_ms, b.max]);
    const maxLine = Math.max(0, ...lines.map((l) => l.yAxis));
    this.chart.setOption({
      animation: false,
      grid: { left: 48, right: 72, top: 24, bottom: 28 },
      tooltip: { trigger: "axis", valueFormatter: (v) => metricValue(metric, v) },
      title: data.length ? undefined : { text: t("detail.no_data"), left: "center", top: "middle",
        textStyle: { color: "#56627a", fontSize: 13 } },
      xAxis: { type: "time", axisLabel: { color: "#7f90ab", formatter: (v) => fmtTime(v).slice(-8, -3) } },
      yAxis: { type: "value", name: metricTitle(metric), nameTextStyle: { color: "#7f90ab" }, scale: metric !== "lel_pct",
        max: metric === "lel_pct" ? (v) => Math.min(100, Math.ceil(Math.max(v.max, maxLine) * 1.1 / 10) * 10) : undefined,
        axisLabel: { color: "#7f90ab" }, splitLine: { lineStyle: { color: "#16233a" } } },
      series: [{
        type: "line", name: metricName(metric), data, showSymbol: data.length < 40, lineStyle: { color: "#3ab4ff" },
        itemStyle: { color: "#3ab4ff" }, areaStyle: { color: "rgba(58,180,255,.12)" },
        markLine: { silent: true, symbol: "none", data: lines },
      }],
    }, true);
  }

  renderStations(stations) {
    const box = el("div", { class: "stations" }, stations.map((s) =>
      el("button", { type: "button", dataset: { id: s.id } },
        el("span", { class: `dot ${s.online ? "on" : "off"}` }), `${s.id} ${s.name}`)));
    box.addEventListener("click", (event) => {
      const b = event.target.closest("button");
      if (b) this.open("station", b.dataset.id);
    });
    this.extra.replaceChildren(el("h3", { class: "small muted" }, t("detail.stations")), box);
  }

  async loadAlerts() {
    const current = this.current;
    if (!current) return;
    const params = current.kind === "enterprise" ? { enterprise: current.id } : { source_id: current.id };
    const alerts = await openAlerts(params);
    if (this.current !== current) return;
    this.alertsBox.replaceChildren(
      ...(alerts.length ? alerts.map((a) => this.alertCard(a)) : [el("div", { class: "muted" }, t("detail.none"))]),
    );
  }

  alertCard(a) {
    const note = el("textarea", { class: "note", rows: 1, placeholder: t("action.note") });
    const minutes = el("select", { class: "minutes", "aria-label": t("action.minutes") },
      SHELVE_MINUTES.map((m) => el("option", { value: m }, `${m} ${t("action.minutes")}`)));
    const crew = el("input", { class: "crew", placeholder: t("action.crew"), value: a.assigned_to || "crew-01" });
    const run = async (action, fields, button) => {
      button.disabled = true;
      try {
        await act(a.id, action, { actor: this.actor(), note: note.value.trim() || null, ...fields });
        toast(t("action.done", { action: button.textContent }));
        this.onChange(a.id);
        await this.loadAlerts();
      } catch (error) {
        toast(t("action.failed", { detail: error.message }), "error");
        button.disabled = false;
      }
    };
    const button = (key, action, cls, fields = () => ({})) => {
      const b = el("button", { type: "button", class: `btn ${cls}`, dataset: { action } }, t(key));
      b.addEventListener("click", () => run(action, fields(), b));
      return b;
    };
    const open = a.state !== "closed";
    const ackable = a.state === "active_unacked" || a.state === "cleared_unacked";
    const shelvable = ["active_unacked", "active_acked", "cleared_unacked"].includes(a.state);
    const ack = button("action.ack", "ack", "primary");
    ack.disabled = !ackable;
    const shelve = button("action.shelve", "shelve", "", () => ({ minutes: Number(minutes.value) }));
    shelve.disabled = !shelvable;
    const oos = button("action.oos", "out_of_service", "");
    oos.disabled = !(shelvable || a.state === "shelved");
    const close = button("action.close", "close", "danger");
    close.disabled = !open;
    const assign = button("action.assign", "assign", "", () => ({ assignee: crew.value.trim() }));
    return el("div", {
      class: `detail-alert r-${a.severity}`,
      dataset: { id: a.id, state: a.state },
      style: a.id === this.highlight ? "outline:1px solid #3ab4ff" : null,
    },
    el("div", { class: "line" },
      el("span", { class: `sev sev-${a.severity}` }, t(`severity.${a.severity}`)),
      el("b", {}, ruleName(a.rule)),
      el("span", { class: `state state-${a.state}` }, t(`state.${a.state}`)),
      el("span", { class: "muted small" }, `#${a.id} · ${t("alert.raised")} ${fmtTime(a.raised_at_ms)} · ${t("alert.count")} ${a.count}`),
      a.assigned_to ? el("span", { class: "badge" }, t("alert.assigned", { crew: a.assigned_to })) : null),
    el("div", { class: "small msg" }, alertText(a)),
    el("div", { class: "actions" }, note),
    el("div", { class: "actions" }, ack, minutes, shelve, oos, close, crew, assign),
    timelineBox(a),
    notificationsBox(a.id));
  }
}
