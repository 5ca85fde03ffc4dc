// The 134 heating enterprises as a table sortable by any column (click a header; again
// to reverse), filtered by name or district and to the off-line or alerting ones; the
// table scrolls, every enterprise is reachable.

import { districtName, el, fmtTime, maintenanceText, t } from "./common.js";

export class EnterpriseTable {
  constructor(table, summary, { onSelect, filter, problem }) {
    this.table = table;
    this.summary = summary;
    this.body = table.querySelector("tbody");
    this.filterBox = filter;
    this.problemBox = problem;
    this.rows = [];
    this.key = "open_alert_count";
    this.desc = true;
    table.querySelector("thead").addEventListener("click", (event) => {
      const th = event.target.closest("th");
      if (!th) return;
      if (this.key === th.dataset.key) this.desc = !this.desc;
      else { this.key = th.dataset.key; this.desc = th.dataset.key !== "id" && th.dataset.key !== "name"; }
      this.render();
    });
    this.body.addEventListener("click", (event) => {
      const tr = event.target.closest("tr");
      if (tr) onSelect(tr.dataset.id);
    });
    filter?.addEventListener("input", () => this.render());
    problem?.addEventListener("change", () => this.render());
  }

  set(rows) {
    this.rows = rows;
    this.render();
  }

  visible() {
    const words = (this.filterBox?.value || "").trim().toLowerCase().split(/\s+/).filter(Boolean);
    const problem = this.problemBox?.checked;
    return this.rows.filter((r) => {
      if (problem && r.online && !r.open_alert_count) return false;
      const text = `${r.id} ${r.name} ${r.district} ${districtName(r.district)}`.toLowerCase();
      return words.every((w) => text.includes(w));
    });
  }

  render() {
    const key = this.key;
    const sign = this.desc ? -1 : 1;
    const value = (r) => (r[key] == null ? -Infinity : typeof r[key] === "boolean" ? Number(r[key]) : r[key]);
    const shown = this.visible();
    const sorted = shown.sort((a, b) => {
      const x = value(a), y = value(b);
      const c = typeof x === "string" ? x.localeCompare(y, "zh-CN") : x - y;
      return sign * c || a.id.localeCompare(b.id);
    });
    for (const th of this.table.querySelectorAll("th")) {
      th.classList.toggle("sorted", th.dataset.key === key);
      th.classList.toggle("desc", th.dataset.key === key && this.desc);
    }
    this.body.replaceChildren(...sorted.map((r) => {
      const rate = Math.round(r.online_rate_today * 100);
      return el("tr", { dataset: { id: r.id } },
        el("td", {}, r.id),
        el("td", {}, r.name, r.maintenance
          ? el("span", { class: "maint-badge", title: maintenanceText(r.maintenance) }, t("maint.badge")) : null),
        el("td", {}, districtName(r.district)),
        el("td", {}, el("span", { class: `dot ${r.online ? "on" : "off"}` }), t(r.online ? "yes" : "no")),
        el("td", {}, fmtTime(r.last_data_ms)),
        el("td", { class: "num" }, el("span", { class: `rate ${rate < 90 ? "low" : ""}` },
          el("i", { style: `width:${rate}%` })), `${rate}%`),
        el("td", { class: `num ${r.open_alert_count ? "cnt-hot" : ""}` }, r.open_alert_count),
        el("td", { class: "num" }, r.station_count),
      );
    }));
    const online = this.rows.filter((r) => r.online).length;
    this.summary.textContent = `${t("ent.online")} ${online} / ${this.rows.length}` +
      (shown.length < this.rows.length ? ` · ${t("alerts.shown", { shown: shown.length, total: this.rows.length })}` : "");
  }
}
