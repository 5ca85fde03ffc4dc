// The 525 gas channels as tiles coloured by displayed state, grouped by district, gas
// company or site type (a labelled block each, with its counts), and filtered by state
// with the legend's buttons. Tiles are created once; a state change swaps one class
// name and one group's counts; regrouping moves the same tile nodes. A channel in a
// maintenance window keeps its state colour, hatched, with the window in its tooltip;
// the legend's "维护中" button shows those alone.

import { districtName, el, maintenanceText, t, tOr } from "./common.js";
import { ownerName } from "./directory.js";

export const SOURCE_STATES = ["normal", "alarm", "fault", "offline"];
const COLORS = { normal: "#0f7a4f", alarm: "var(--alarm)", fault: "var(--fault)", offline: "#2c3648" };
const GROUP_KEY = "lifeline.grid.group";
const MAINTENANCE = "maintenance"; // the legend's filter for channels in maintenance

export class ChannelGrid {
  constructor(container, legend, groupPick, { onSelect }) {
    this.container = container;
    this.legend = legend;
    this.groupPick = groupPick;
    this.tiles = new Map();
    this.states = new Map();
    this.channels = new Map();
    this.maintenance = new Map(); // id -> window, for channels in maintenance now
    this.groups = new Map(); // group key -> {box, head, ids}
    this.groupBy = localStorage.getItem(GROUP_KEY) || "district";
    this.filter = null; // a state, or null for all
    groupPick.value = this.groupBy;
    groupPick.addEventListener("change", () => {
      this.groupBy = groupPick.value;
      localStorage.setItem(GROUP_KEY, this.groupBy);
      this.layout();
    });
    container.addEventListener("click", (event) => {
      const tile = event.target.closest(".tile");
      if (tile) onSelect(tile.dataset.id);
    });
    legend.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-state]");
      if (!button) return;
      const state = button.dataset.state || null;
      this.filter = this.filter === state ? null : state;
      this.applyFilter();
      this.renderLegend();
    });
  }

  /** First full list: builds the tiles. */
  build(channels) {
    for (const channel of channels) {
      const tile = el("button", {
        class: `tile s-${channel.state}`,
        type: "button",
        dataset: { id: channel.id, state: channel.state },
      }, String(Number(channel.id.slice(4))));
      this.tiles.set(channel.id, tile);
      this.states.set(channel.id, channel.state);
      this.channels.set(channel.id, channel);
      this.markMaintenance(channel.id, channel.maintenance);
    }
    this.layout();
  }

  groupOf(channel) {
    if (this.groupBy === "owner") return channel.owner;
    if (this.groupBy === "site_type") return channel.site_type;
    if (this.groupBy === "none") return "";
    return channel.district;
  }

  groupLabel(key) {
    if (this.groupBy === "owner") return ownerName(key);
    if (this.groupBy === "site_type") return tOr(`site.${key}`, key);
    if (this.groupBy === "none") return "";
    return districtName(key);
  }

  /** (Re)group the tiles: biggest groups first, channels by id within a group. */
  layout() {
    const byGroup = new Map();
    for (const channel of [...this.channels.values()].sort((a, b) => a.id.localeCompare(b.id))) {
      const key = this.groupOf(channel);
      if (!byGroup.has(key)) byGroup.set(key, []);
      byGroup.get(key).push(channel.id);
    }
    this.groups.clear();
    const boxes = [...byGroup.entries()]
      .sort((a, b) => b[1].length - a[1].length || String(a[0]).localeCompare(String(b[0]), "zh-CN"))
      .map(([key, ids]) => {
        const head = el("h3");
        const box = el("div", { class: "tile-group", dataset: { group: key } },
          this.groupBy === "none" ? null : head,
          el("div", { class: "tiles" }, ids.map((id) => this.tiles.get(id))));
        this.groups.set(key, { box, head, ids });
        return box;
      });
    this.container.replaceChildren(...boxes);
    this.relabel();
    this.applyFilter();
    this.renderLegend();
  }

  /** Texts that depend on the language: group heads and tile tooltips. */
  relabel() {
    for (const [key, group] of this.groups) this.renderHead(key, group);
    for (const id of this.tiles.keys()) this.retitle(id);
  }

  retitle(id) {
    const c = this.channels.get(id);
    const maintenance = maintenanceText(this.maintenance.get(id));
    this.tiles.get(id).title = `${id} ${c.name}\n${c.address}\n${t(`src.${this.states.get(id)}`)}` +
      (maintenance ? `\n${maintenance}` : "");
  }

  /** A channel's maintenance window now (``null`` when none): from every list or detail. */
  setMaintenance(id, window) {
    if (!this.tiles.has(id)) return;
    const before = this.maintenance.get(id);
    if ((before?.id ?? null) === (window?.id ?? null) && before?.end_ms === window?.end_ms) return;
    this.markMaintenance(id, window);
    this.retitle(id);
    this.changed();
  }

  markMaintenance(id, window) {
    const tile = this.tiles.get(id);
    if (window) this.maintenance.set(id, window);
    else this.maintenance.delete(id);
    tile.classList.toggle("maint", Boolean(window));
    if (window) tile.dataset.maintenance = String(window.id);
    else delete tile.dataset.maintenance;
  }

  shown(id) {
    if (this.filter == null) return true;
    if (this.filter === MAINTENANCE) return this.maintenance.has(id);
    return this.states.get(id) === this.filter;
  }

  renderHead(key, group) {
    const counts = {};
    for (const id of group.ids) counts[this.states.get(id)] = (counts[this.states.get(id)] || 0) + 1;
    const bad = ["alarm", "fault", "offline"].filter((s) => counts[s])
      .map((s) => `${t(`src.${s}`)} ${counts[s]}`).join(" · ");
    group.head.replaceChildren(this.groupLabel(key),
      el("span", { class: "muted" }, `${group.ids.length}${bad ? ` · ${bad}` : ""}`));
  }

  set(id, state) {
    const tile = this.tiles.get(id);
    if (!tile || this.states.get(id) === state) return false;
    this.states.set(id, state);
    tile.classList.replace(`s-${tile.dataset.state}`, `s-${state}`);
    tile.dataset.state = state;
    this.retitle(id);
    const key = this.groupOf(this.channels.get(id));
    if (this.groups.has(key)) this.renderHead(key, this.groups.get(key));
    tile.hidden = !this.shown(id);
    this.changed();
    return true;
  }

  /** Filter and legend follow a change, once per frame whatever the number of changes. */
  changed() {
    if (!this.legendPending) {
      this.legendPending = true;
      requestAnimationFrame(() => {
        this.legendPending = false;
        this.applyFilter();
        this.renderLegend();
      });
    }
  }

  applyFilter() {
    for (const [id, tile] of this.tiles) tile.hidden = !this.shown(id);
    for (const group of this.groups.values()) {
      group.box.hidden = this.filter != null && !group.ids.some((id) => this.shown(id));
    }
  }

  select(id) {
    for (const tile of this.container.querySelectorAll(".tile.sel")) tile.classList.remove("sel");
    this.tiles.get(id)?.classList.add("sel");
  }

  /** The legend doubles as the state filter: "全部 525 · 正常 520 · 报警 4 ... · 维护中 1". */
  renderLegend() {
    const counts = Object.fromEntries(SOURCE_STATES.map((s) => [s, 0]));
    for (const state of this.states.values()) counts[state] = (counts[state] || 0) + 1;
    this.container.classList.toggle("many-alarms", counts.alarm > 20);
    const button = (state, label, count, color) =>
      el("button", { type: "button", dataset: { state: state || "" }, "aria-pressed": String(this.filter === state) },
        color ? el("i", { style: `background:${color}` }) : null, `${label} ${count}`);
    this.legend.replaceChildren(
      button(null, t("filter.all"), this.states.size, null),
      ...SOURCE_STATES.map((s) => button(s, t(`src.${s}`), counts[s], COLORS[s])),
      button(MAINTENANCE, t("maint.badge"), this.maintenance.size, "var(--maint)"),
    );
  }

  /** The language changed. */
  render() {
    this.relabel();
    this.renderLegend();
  }
}
