// The 525 gas channels as tiles coloured by displayed state. Tiles are created once;
// a state change only swaps one class name.

import { el, t } from "./common.js";

export const SOURCE_STATES = ["normal", "alarm", "fault", "offline"];

export class ChannelGrid {
  constructor(container, legend, { onSelect }) {
    this.container = container;
    this.legend = legend;
    this.tiles = new Map();
    this.states = new Map();
    container.addEventListener("click", (event) => {
      const tile = event.target.closest(".tile");
      if (tile) onSelect(tile.dataset.id);
    });
  }

  /** First full list: builds the tiles. */
  build(channels) {
    const fragment = document.createDocumentFragment();
    for (const channel of channels) {
      const tile = el("button", {
        class: `tile s-${channel.state}`,
        type: "button",
        dataset: { id: channel.id, state: channel.state },
        title: `${channel.id} ${channel.name}`,
      }, String(Number(channel.id.slice(4))));
      this.tiles.set(channel.id, tile);
      this.states.set(channel.id, channel.state);
      fragment.append(tile);
    }
    this.container.replaceChildren(fragment);
    this.renderLegend();
  }

  set(id, state) {
    const tile = this.tiles.get(id);
    if (!tile || this.states.get(id) === state) return false;
    this.states.set(id, state);
    tile.className = `tile s-${state}`;
    tile.dataset.state = state;
    if (!this.legendPending) {
      this.legendPending = true;
      requestAnimationFrame(() => {
        this.legendPending = false;
        this.renderLegend();
      });
    }
    return true;
  }

  select(id) {
    for (const tile of this.container.querySelectorAll(".tile.sel")) tile.classList.remove("sel");
    this.tiles.get(id)?.classList.add("sel");
  }

  renderLegend() {
    const counts = Object.fromEntries(SOURCE_STATES.map((s) => [s, 0]));
    for (const state of this.states.values()) counts[state] = (counts[state] || 0) + 1;
    this.container.classList.toggle("many-alarms", counts.alarm > 20);
    const colors = { normal: "#0f7a4f", alarm: "var(--alarm)", fault: "var(--fault)", offline: "#2c3648" };
    this.legend.replaceChildren(
      ...SOURCE_STATES.map((s) =>
        el("span", { dataset: { state: s } }, el("i", { style: `background:${colors[s]}` }), `${t(`src.${s}`)} ${counts[s]}`),
      ),
    );
  }
}
