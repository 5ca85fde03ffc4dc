// The search box of the top bar: channels, stations, enterprises and meters by id, name
// or address (GET /api/v1/search), as you type; arrow keys and Enter, or a click, open
// the hit's detail.

import { districtName, el, getJSON, t } from "./common.js";
import { ownerName, remember } from "./directory.js";

const WAIT_MS = 200;
const SHOWN = 30;

export class SearchBox {
  constructor(input, results, { onSelect }) {
    this.input = input;
    this.results = results;
    this.onSelect = onSelect;
    this.hits = [];
    this.active = -1;
    this.timer = null;
    this.asked = 0;
    input.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.run(), WAIT_MS);
    });
    input.addEventListener("keydown", (event) => this.key(event));
    input.addEventListener("focus", () => this.hits.length && (this.results.hidden = false));
    results.addEventListener("mousedown", (event) => {
      const hit = event.target.closest(".hit");
      if (hit) this.choose(Number(hit.dataset.index));
    });
    document.addEventListener("click", (event) => {
      if (!event.target.closest(".search")) this.results.hidden = true;
    });
  }

  async run() {
    const q = this.input.value.trim();
    if (!q) {
      this.hits = [];
      this.results.hidden = true;
      return;
    }
    const asked = ++this.asked;
    let page;
    try {
      page = await getJSON("/search", { q, limit: SHOWN });
    } catch (error) {
      console.warn("search", error);
      return;
    }
    if (asked !== this.asked) return; // a newer query is on its way
    this.hits = page.items;
    this.total = page.total;
    remember("hit", page.items.filter((h) => h.kind !== "meter"));
    this.active = this.hits.length ? 0 : -1;
    this.render();
  }

  render() {
    const rows = this.hits.map((h, index) =>
      el("button", { type: "button", class: `hit ${index === this.active ? "active" : ""}`,
        dataset: { index, id: h.id, kind: h.kind }, role: "option" },
      el("span", { class: "kind" }, t(`kind.${h.kind}`)),
      el("span", {}, el("b", {}, h.id), ` ${h.kind === "meter" ? "" : h.name}`),
      el("span", { class: "where" },
        [h.address, districtName(h.district), ownerName(h.owner_name || h.owner)].filter(Boolean).join(" · "))));
    if (!rows.length) rows.push(el("div", { class: "empty" }, t("search.none")));
    if (this.total > this.hits.length) {
      rows.push(el("div", { class: "muted small empty" }, t("search.more", { total: this.total, shown: this.hits.length })));
    }
    this.results.replaceChildren(...rows);
    this.results.hidden = false;
  }

  key(event) {
    if (event.key === "Escape") {
      this.results.hidden = true;
      return;
    }
    if (!this.hits.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.hits.length) % this.hits.length;
      this.render();
    } else if (event.key === "Enter") {
      event.preventDefault();
      this.choose(Math.max(0, this.active));
    }
  }

  choose(index) {
    const hit = this.hits[index];
    if (!hit) return;
    this.results.hidden = true;
    this.onSelect(hit.kind, hit.id);
  }
}
