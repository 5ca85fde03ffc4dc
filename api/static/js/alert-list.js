// The live alert list: a virtualised list of fixed-height rows. Only the rows in view
// (plus a few) exist in the DOM, and a render happens at most once per animation frame,
// however many events arrive; 1,000+ open alerts cost one sort per frame.

import { compareAlerts, el, fmtTime, t } from "./common.js";

const ROW = 58;
const OVERSCAN = 6;

export class AlertList {
  constructor(container, { onSelect }) {
    this.container = container;
    this.spacer = container.querySelector(".alert-spacer");
    this.onSelect = onSelect;
    this.items = [];
    this.source = new Map();
    this.sorted = true;
    this.fresh = new Set();
    this.selected = null;
    this.pending = false;
    container.addEventListener("scroll", () => this.schedule(), { passive: true });
    container.addEventListener("click", (event) => {
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

  render() {
    if (!this.sorted) {
      this.items = Array.from(this.source.values()).sort(compareAlerts);
      this.sorted = true;
    }
    const total = this.items.length;
    this.spacer.style.height = `${total * ROW}px`;
    const top = this.container.scrollTop;
    const height = this.container.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const last = Math.min(total, Math.ceil((top + height) / ROW) + OVERSCAN);
    const rows = [];
    for (let i = first; i < last; i++) rows.push(this.row(this.items[i], i));
    for (const old of this.container.querySelectorAll(".alert-row, .alert-row-empty")) old.remove();
    if (total === 0) rows.push(el("div", { class: "empty alert-row-empty" }, t("alerts.empty")));
    this.container.append(...rows);
    this.fresh.clear();
  }

  row(alert, index) {
    const unacked = alert.state === "active_unacked" || alert.state === "cleared_unacked";
    const classes = [
      "alert-row",
      `r-${alert.severity}`,
      unacked ? "unacked" : "",
      this.fresh.has(alert.id) ? "fresh" : "",
      alert.id === this.selected ? "sel" : "",
    ].join(" ");
    const assigned = alert.assigned_to ? ` · ${t("alert.assigned", { crew: alert.assigned_to })}` : "";
    return el(
      "div",
      {
        class: classes,
        role: "listitem",
        style: `top:${index * ROW}px`,
        dataset: { id: alert.id, source: alert.source_id, state: alert.state, severity: alert.severity },
      },
      el(
        "span",
        {},
        el("span", { class: `sev sev-${alert.severity}` }, t(`severity.${alert.severity}`)),
      ),
      el(
        "span",
        { class: "src" },
        `${alert.source_id} · ${t(`rule.${alert.rule}`)}`,
      ),
      el("span", { class: "time" }, fmtTime(alert.raised_at_ms)),
      el("span", { class: "msg" }, `${alert.message}${assigned}`),
      el("span", { class: `st state state-${alert.state}` }, t(`state.${alert.state}`)),
    );
  }
}
