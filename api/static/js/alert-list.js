// The live alert list: a virtualised list of fixed-height rows. Only the rows in view
// (plus a few) exist in the DOM, and a render happens at most once per animation frame,
// however many events arrive; 1,000+ open alerts cost one sort per frame. Alerts can be
// grouped by source or by rule: a group is one row (worst severity, count, newest time)
// that opens to show its alerts.

import { SEVERITY_RANK, compareAlerts, el, fmtTime, t } from "./common.js";
import { sourceName, sourceTitle } from "./directory.js";
import { alertText, ruleName } from "./messages.js";

const ROW = 58;
const OVERSCAN = 6;

export class AlertList {
  constructor(container, { onSelect }) {
    this.container = container;
    this.spacer = container.querySelector(".alert-spacer");
    this.onSelect = onSelect;
    this.rows = []; // {alert} or {group}
    this.source = new Map();
    this.sorted = true;
    this.fresh = new Set();
    this.selected = null;
    this.pending = false;
    this.groupBy = "none"; // none | source | rule
    this.open = new Set(); // keys of opened groups
    container.addEventListener("scroll", () => this.schedule(), { passive: true });
    container.addEventListener("click", (event) => {
      const group = event.target.closest(".alert-group");
      if (group) return this.toggle(group.dataset.key);
      const row = event.target.closest(".alert-row");
      if (row) this.onSelect(Number(row.dataset.id));
    });
    new ResizeObserver(() => this.schedule()).observe(container);
  }

  /** The contents changed (`alerts`: a Map id -> alert, read at the next frame);
   * `fresh` ids flash once. Cheap: call it for every event. */
  update(alerts, fresh) {
    this.source = alerts;
    this.sorted = false;
    for (const id of fresh || []) this.fresh.add(id);
    this.schedule();
  }

  setGrouping(mode) {
    this.groupBy = mode;
    this.open.clear();
    this.sorted = false;
    this.container.scrollTop = 0;
    this.schedule();
  }

  toggle(key) {
    if (this.open.has(key)) this.open.delete(key);
    else this.open.add(key);
    this.sorted = false;
    this.schedule();
  }

  select(id) {
    this.selected = id;
    this.schedule();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  /** Rows in display order: alerts, or group rows each followed by its alerts if open. */
  flatten() {
    const alerts = Array.from(this.source.values()).sort(compareAlerts);
    if (this.groupBy === "none") return alerts.map((alert) => ({ alert }));
    const field = this.groupBy === "source" ? "source_id" : "rule";
    const groups = new Map();
    for (const alert of alerts) {
      const key = alert[field];
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(alert); // sorted: the first is the worst and newest
    }
    const ordered = [...groups.entries()].sort((a, b) => compareAlerts(a[1][0], b[1][0]));
    const rows = [];
    for (const [key, members] of ordered) {
      rows.push({ group: { key, members } });
      if (this.open.has(key)) rows.push(...members.map((alert) => ({ alert, inGroup: true })));
    }
    return rows;
  }

  render() {
    if (!this.sorted) {
      this.rows = this.flatten();
      this.sorted = true;
    }
    const total = this.rows.length;
    this.spacer.style.height = `${total * ROW}px`;
    const top = this.container.scrollTop;
    const height = this.container.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const last = Math.min(total, Math.ceil((top + height) / ROW) + OVERSCAN);
    const nodes = [];
    for (let i = first; i < last; i++) {
      const r = this.rows[i];
      nodes.push(r.group ? this.groupRow(r.group, i) : this.row(r.alert, i, r.inGroup));
    }
    for (const old of this.container.querySelectorAll(".alert-row, .alert-group, .alert-row-empty")) old.remove();
    if (total === 0) nodes.push(el("div", { class: "empty alert-row-empty" }, t("alerts.empty")));
    this.container.append(...nodes);
    this.fresh.clear();
  }

  groupRow({ key, members }, index) {
    const worst = members[0];
    const bySeverity = {};
    for (const a of members) bySeverity[a.severity] = (bySeverity[a.severity] || 0) + 1;
    const counts = Object.entries(bySeverity)
      .sort((a, b) => SEVERITY_RANK[b[0]] - SEVERITY_RANK[a[0]])
      .map(([s, n]) => `${t(`severity.${s}`)} ${n}`).join(" · ");
    const title = this.groupBy === "source" ? sourceTitle(key) : ruleName(key);
    const newest = Math.max(...members.map((a) => a.raised_at_ms));
    return el("div", {
      class: `alert-group r-${worst.severity}`, role: "listitem", style: `top:${index * ROW}px`,
      dataset: { key, count: members.length }, "aria-expanded": String(this.open.has(key)),
    },
    el("span", { class: "caret" }, this.open.has(key) ? "▾" : "▸"),
    el("span", { class: "title" }, title),
    el("span", { class: "time" }, fmtTime(newest)),
    el("span", { class: "sub" }, `${t("group.alerts", { n: members.length })} · ${counts}`));
  }

  row(alert, index, inGroup = false) {
    const unacked = alert.state === "active_unacked" || alert.state === "cleared_unacked";
    const classes = [
      "alert-row",
      `r-${alert.severity}`,
      unacked ? "unacked" : "",
      inGroup ? "in-group" : "",
      this.fresh.has(alert.id) ? "fresh" : "",
      alert.id === this.selected ? "sel" : "",
    ].join(" ");
    const assigned = alert.assigned_to ? ` · ${t("alert.assigned", { crew: alert.assigned_to })}` : "";
    const name = sourceName(alert.source_id);
    return el(
      "div",
      {
        class: classes,
        role: "listitem",
        style: `top:${index * ROW}px`,
        dataset: { id: alert.id, source: alert.source_id, state: alert.state, severity: alert.severity },
      },
      el("span", {}, el("span", { class: `sev sev-${alert.severity}` }, t(`severity.${alert.severity}`))),
      el("span", { class: "src" }, `${alert.source_id} · ${ruleName(alert.rule)}`),
      el("span", { class: "time" }, fmtTime(alert.raised_at_ms)),
      el("span", { class: "msg" }, `${name ? `${name} · ` : ""}${alertText(alert)}${assigned}`),
      el("span", { class: `st state state-${alert.state}` }, t(`state.${alert.state}`)),
    );
  }
}
