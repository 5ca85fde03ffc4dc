// The control-room page: wires the live stream to the alert list, counters, channel
// grid, map, enterprise table, KPIs, search and the detail panel.
//
// Updates are batched: an SSE event only changes the in-memory alert map and marks
// what is dirty; the list renders at most once per frame, channel states are fetched
// in one batch every 300 ms, the map redraws at most once a second.

import {
  SEVERITIES, applyI18n, clockText, el, getJSON, isoMs, lang, liveAlerts, openAlerts, loadLabels, requireLogin, setLang, t,
} from "./common.js";
import { AlertList } from "./alert-list.js";
import { beep, muted, setMuted } from "./beep.js";
import { ChannelGrid } from "./channel-grid.js";
import { DetailPanel, kindOf } from "./detail.js";
import { loadOwners, remember } from "./directory.js";
import { EnterpriseTable } from "./enterprises.js";
import { KpiPanel } from "./kpis.js";
import { MapView } from "./map-view.js";
import { loadRules } from "./messages.js";
import { SearchBox } from "./search.js";

const ACTOR_KEY = "lifeline.actor";
const CHANNEL_FLUSH_MS = 300;
const FULL_REFRESH_MS = 30_000;
const COUNTED_STATES = ["active_unacked", "active_acked", "cleared_unacked", "shelved", "out_of_service"];

const alerts = new Map(); // id -> alert (open ones only)
const fresh = new Set();
const dirtyChannels = new Set();
let channelTimer = null;
let reconcileTimer = null;

const $ = (id) => document.getElementById(id);
const actor = () => localStorage.getItem(ACTOR_KEY) || "operator";

const detail = new DetailPanel($("detail"), {
  actor, onChange: () => {}, tab: $("detail-tab"), anchor: document.querySelector(".map-panel"),
});
function select(kind, id, alertId = null) {
  grid.select(id);
  map.select(id);
  list.select(alertId);
  detail.open(kind || kindOf(id), id, alertId).catch((error) => console.warn(error));
}
const list = new AlertList($("alert-list"), {
  onSelect: (id) => {
    const alert = alerts.get(id);
    if (alert) select(alert.source_kind, alert.source_id, id);
  },
});
const grid = new ChannelGrid($("channel-grid"), $("grid-legend"), $("grid-group"), {
  onSelect: (id) => select("gas_channel", id),
});
const map = new MapView($("map"), {
  onSelect: (kind, id) => select(kind, id), legend: $("map-legend"), reset: $("map-reset"),
});
const table = new EnterpriseTable($("enterprises"), $("ent-summary"), {
  onSelect: (id) => select("enterprise", id), filter: $("ent-filter"), problem: $("ent-problem"),
});
const kpis = new KpiPanel($("kpis"), { onSelect: (kind, id) => select(kind, id) });
new SearchBox($("search"), $("search-results"), { onSelect: (kind, id) => select(kind, id) });
$("alert-group").addEventListener("change", (event) => list.setGrouping(event.target.value));

// ------------------------------------------------------------------ header
function renderCounters() {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  const byState = Object.fromEntries(COUNTED_STATES.map((s) => [s, 0]));
  for (const a of alerts.values()) {
    bySeverity[a.severity] += 1;
    byState[a.state] = (byState[a.state] || 0) + 1;
  }
  const counter = (cls, count, label, key) =>
    el("div", { class: `counter ${cls}`, dataset: { counter: key } }, el("b", {}, count), el("span", {}, label));
  $("counters").replaceChildren(
    counter("c-open", alerts.size, t("counters.open"), "open"),
    ...SEVERITIES.map((s) =>
      counter(`c-${s} ${s === "critical" && bySeverity[s] > 0 ? "hot" : ""}`, bySeverity[s], t(`severity.${s}`), s)),
  );
  $("state-counters").replaceChildren(
    ...COUNTED_STATES.map((s) =>
      el("span", { class: `state state-${s}`, dataset: { counter: s } }, t(`state.${s}`), el("b", {}, byState[s]))),
  );
  $("alerts-shown").textContent = t("alerts.shown", { shown: alerts.size, total: alerts.size });
}

let countersPending = false;
function alertsChanged() {
  list.update(alerts, fresh);
  fresh.clear();
  if (countersPending) return;
  countersPending = true;
  requestAnimationFrame(() => {
    countersPending = false;
    renderCounters();
  });
}

function renderMute() {
  $("mute").textContent = muted ? `✕ ${t("mute")}` : `♪ ${t("unmute")}`;
  $("mute").setAttribute("aria-pressed", String(muted));
}

// ------------------------------------------------------------------ live events
function fromEvent(event, known) {
  return {
    ...known,
    id: event.id,
    source_id: event.source_id,
    source_kind: event.source_kind,
    rule: event.rule,
    severity: event.severity,
    state: event.state,
    message: event.message,
    value: event.value,
    threshold: event.threshold,
    raised_at_ms: isoMs(event.raised_at),
    updated_at_ms: isoMs(event.updated_at),
    acked_by: event.acked_by,
    note: event.note,
    count: known?.count ?? 1,
    streamedAt: performance.now(),
  };
}

function onEvent(event) {
  const known = alerts.get(event.id);
  if (event.state === "closed") {
    alerts.delete(event.id);
  } else {
    const alert = fromEvent(event, known);
    alerts.set(event.id, alert);
    const escalated = known && known.severity !== "critical";
    if (!known) fresh.add(event.id);
    if (event.severity === "critical" && event.state === "active_unacked" && (!known || escalated)) beep();
    if (!known) scheduleReconcile(); // fetch the fields an AlertEvent does not carry
  }
  alertsChanged();
  detail.touched(event);
  if (event.source_kind === "gas_channel") {
    dirtyChannels.add(event.source_id);
    if (!channelTimer) {
      const wait = Math.max(CHANNEL_FLUSH_MS, lastChannelLoad + 1000 - performance.now());
      channelTimer = setTimeout(flushChannels, wait);
    }
  }
}

async function flushChannels() {
  channelTimer = null;
  const ids = [...dirtyChannels];
  dirtyChannels.clear();
  try {
    if (ids.length > 12) {
      await loadChannels(); // a burst: one list call instead of many
      return;
    }
    const channels = await Promise.all(ids.map((id) => getJSON(`/channels/${id}`)));
    for (const c of channels) {
      grid.set(c.id, c.state);
      grid.setMaintenance(c.id, c.maintenance);
    }
    map.setChannels(channels);
  } catch (error) {
    console.warn("channel refresh failed", error);
  }
}

function scheduleReconcile() {
  clearTimeout(reconcileTimer);
  reconcileTimer = setTimeout(loadAlerts, 1000);
}

// ------------------------------------------------------------------ loads
async function loadAlerts() {
  const startedAt = performance.now();
  const items = await openAlerts();
  const seen = new Set();
  for (const a of items) {
    seen.add(a.id);
    const known = alerts.get(a.id);
    const newer = known && known.updated_at_ms > a.updated_at_ms;
    alerts.set(a.id, newer ? { ...a, ...known } : a);
  }
  for (const [id, a] of alerts) {
    // keep what the stream delivered while the list was being fetched
    if (!seen.has(id) && !(a.streamedAt > startedAt)) alerts.delete(id);
  }
  alertsChanged();
}

let gridBuilt = false;
let lastChannelLoad = 0;
async function loadChannels() {
  lastChannelLoad = performance.now();
  const page = await getJSON("/channels", { limit: 1000 });
  remember("gas_channel", page.items);
  if (!gridBuilt) {
    grid.build(page.items);
    gridBuilt = true;
  } else {
    for (const c of page.items) {
      grid.set(c.id, c.state);
      grid.setMaintenance(c.id, c.maintenance);
    }
  }
  map.setChannels(page.items);
}

async function loadEnterprises() {
  const page = await getJSON("/enterprises", { limit: 1000 });
  remember("enterprise", page.items);
  table.set(page.items);
  map.setEnterprises(page.items);
}

/** Station names for the alert texts (1,500: two pages, once). */
async function loadStations() {
  for (let offset = 0; offset < 10_000; offset += 1000) {
    const page = await getJSON("/stations", { limit: 1000, offset });
    remember("station", page.items);
    if (offset + page.items.length >= page.total || !page.items.length) break;
  }
  list.update(alerts);
  kpis.render(); // the noisy sources by name
}

async function loadKpis() {
  kpis.set(await getJSON("/kpis", { hours: 8 }));
}

function safe(load) {
  return () => load().catch((error) => console.warn(load.name, error));
}

// ------------------------------------------------------------------ start
async function start() {
  await loadLabels();
  applyI18n();
  const account = await requireLogin();
  if (account.role === "crew") {
    location.replace("/crew");
    return;
  }
  if (account.role === "utility") document.body.classList.add("read-only");
  renderMute();
  $("lang").addEventListener("click", () => {
    setLang(lang === "zh-CN" ? "en" : "zh-CN");
    renderMute();
    renderCounters();
    list.update(alerts);
    grid.render();
    table.render();
    kpis.render();
    map.render();
    detail.refresh();
  });
  $("mute").addEventListener("click", () => {
    setMuted(!muted);
    renderMute();
  });
  const tick = () => ($("clock").textContent = clockText());
  tick();
  setInterval(tick, 1000);
  liveAlerts(onEvent, (up) => {
    const live = $("live");
    live.className = `live ${up ? "on" : "off"}`;
    live.textContent = t(up ? "live.on" : "live.off");
    live.dataset.i18n = up ? "live.on" : "live.off";
    if (up) safe(loadAlerts)(); // (re)connected: catch up on what the stream missed
  });
  const kpisLoad = account.role === "utility" ? Promise.resolve() : safe(loadKpis)();
  await Promise.all([loadOwners(), loadRules()]); // names before the first render
  Promise.all([safe(loadChannels)(), safe(loadAlerts)(), safe(loadEnterprises)(), kpisLoad, safe(loadStations)()])
    .then(() => document.body.classList.add("ready"));
  setInterval(safe(loadChannels), FULL_REFRESH_MS);
  setInterval(safe(loadEnterprises), FULL_REFRESH_MS);
  if (account.role !== "utility") setInterval(safe(loadKpis), FULL_REFRESH_MS);
  setInterval(safe(loadAlerts), FULL_REFRESH_MS * 2);
}

start();
