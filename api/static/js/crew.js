// The field-crew page (phone): the crew's assigned open incidents with where they are
// and what triggered them; "arrived" acknowledges, "resolve" closes with a cause and a
// note. A crew account sees its own crew (from its login); operators and admins may
// look at any crew with ?crew= (kept in localStorage).

import {
  CAUSES, act, applyI18n, districtName, el, fmtNumber, fmtTime, getJSON, lang, liveAlerts, openAlerts, loadLabels,
  requireLogin, setLang, t, timeZone, toast,
} from "./common.js";
import { kindOf } from "./detail.js";
import { alertText, loadRules, ruleName } from "./messages.js";

const CREW_KEY = "lifeline.crew";
const PATHS = { gas_channel: "channels", station: "stations", meter: "meters", enterprise: "enterprises" };
const $ = (id) => document.getElementById(id);

const places = new Map(); // source id -> registry entity (address, lat/lon, district)
let crew = new URLSearchParams(location.search).get("crew") || localStorage.getItem(CREW_KEY) || "crew-01";
let incidents = [];
let openForm = null; // alert id whose resolve form is open
let reloadTimer = null;

async function place(alert) {
  if (!places.has(alert.source_id)) {
    const kind = alert.source_kind || kindOf(alert.source_id);
    try {
      places.set(alert.source_id, await getJSON(`/${PATHS[kind]}/${encodeURIComponent(alert.source_id)}`));
    } catch (error) {
      places.set(alert.source_id, null);
    }
  }
  return places.get(alert.source_id);
}

async function load() {
  const items = await openAlerts({ assigned_to: crew });
  await Promise.all(items.map(place));
  incidents = items.sort((a, b) => b.raised_at_ms - a.raised_at_ms);
  render();
}

function render() {
  $("count").textContent = incidents.length;
  if (!incidents.length) {
    $("incidents").replaceChildren(el("div", { class: "empty" }, t("crew.none")));
    return;
  }
  $("incidents").replaceChildren(...incidents.map(card));
}

function card(a) {
  const p = places.get(a.source_id);
  const where = p
    ? [
        el("div", { class: "addr" }, p.address || p.name || a.source_id),
        el("div", { class: "muted small" },
          `${districtName(p.district)} · ${fmtNumber(p.lat, 5)}°N ${fmtNumber(p.lon, 5)}°E `,
          el("a", { href: `geo:${p.lat},${p.lon}`, class: "small" }, t("crew.navigate"))),
      ]
    : [el("div", { class: "muted" }, districtName(a.district))];
  const arrived = a.state === "active_acked";
  const arrive = el("button", {
    type: "button", class: "btn big primary", dataset: { action: "arrive" },
    disabled: a.state !== "active_unacked",
  }, arrived ? `✓ ${t("crew.arrived")}` : t("crew.arrive"));
  arrive.addEventListener("click", () => run(a, "ack", { note: t("crew.arrived") }, arrive));
  const resolve = el("button", { type: "button", class: "btn big danger", dataset: { action: "resolve" } }, t("crew.resolve"));
  resolve.addEventListener("click", () => {
    openForm = openForm === a.id ? null : a.id;
    render();
  });
  return el("article", { class: `incident r-${a.severity}`, dataset: { id: a.id, state: a.state } },
    el("div", { class: "head" },
      el("span", { class: `sev sev-${a.severity}` }, t(`severity.${a.severity}`)),
      el("span", { class: "src" }, a.source_id),
      el("span", { class: `state state-${a.state}` }, t(`state.${a.state}`))),
    el("div", { class: "where" }, ...where),
    el("div", { class: "what" },
      `${t("crew.trigger")}: `, el("b", {}, ruleName(a.rule)), ` · ${fmtTime(a.raised_at_ms)}`),
    el("div", { class: "what msg" }, alertText(a)),
    el("div", { class: "buttons" }, arrive, resolve),
    openForm === a.id ? formOf(a) : null);
}

let form = null; // the open resolve form, kept across re-renders so input survives updates
function formOf(a) {
  if (form?.dataset.id !== String(a.id)) form = resolveForm(a);
  return form;
}

function resolveForm(a) {
  const causes = el("div", { class: "causes", role: "radiogroup", "aria-label": t("crew.cause") },
    CAUSES.map((c) => el("label", {},
      el("input", { type: "radio", name: `cause-${a.id}`, value: c }), el("span", {}, t(`cause.${c}`)))));
  const note = el("textarea", { name: "note", placeholder: t("action.note") });
  const submit = el("button", { type: "submit", class: "btn big danger", disabled: true }, t("crew.submit"));
  const cancel = el("button", { type: "button", class: "btn big" }, t("crew.cancel"));
  causes.addEventListener("change", () => (submit.disabled = false));
  cancel.addEventListener("click", () => {
    openForm = null;
    render();
  });
  const form = el("form", { class: "resolve-form", dataset: { id: a.id } },
    el("div", { class: "small muted" }, t("crew.cause")), causes, note,
    el("div", { class: "buttons" }, cancel, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const cause = form.querySelector("input[type=radio]:checked")?.value;
    if (!cause) return;
    run(a, "close", { cause, note: note.value.trim() || null }, submit).then((ok) => {
      if (ok) {
        openForm = null;
        toast(t("crew.resolved"));
      }
    });
  });
  return form;
}

async function run(alert, action, fields, button) {
  button.disabled = true;
  try {
    await act(alert.id, action, fields);
    await load();
    return true;
  } catch (error) {
    toast(t("action.failed", { detail: error.message }), "error");
    button.disabled = false;
    return false;
  }
}

function setCrew(value) {
  crew = value.trim() || "crew-01";
  localStorage.setItem(CREW_KEY, crew);
  const url = new URL(location.href);
  url.searchParams.set("crew", crew);
  history.replaceState(null, "", url);
  load().catch((error) => console.warn(error));
}

async function start() {
  await loadLabels();
  applyI18n();
  const account = await requireLogin();
  if (account.role === "utility") {
    location.replace("/");
    return;
  }
  if (account.role === "crew") {
    crew = account.crew_id;
    $("crew-id").disabled = true;
  }
  $("tz").textContent = `${t("tz")}: ${timeZone}`;
  $("crew-id").value = crew;
  localStorage.setItem(CREW_KEY, crew);
  $("crew-id").addEventListener("change", (event) => setCrew(event.target.value));
  $("refresh").addEventListener("click", () => setCrew($("crew-id").value));
  $("lang").addEventListener("click", () => {
    setLang(lang === "zh-CN" ? "en" : "zh-CN");
    $("tz").textContent = `${t("tz")}: ${timeZone}`;
    render();
  });
  liveAlerts(
    () => {
      if (openForm != null) return; // do not wipe a half-filled resolve form
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => load().catch((error) => console.warn(error)), 300);
    },
    (up) => {
      const live = $("live");
      live.className = `live ${up ? "on" : "off"}`;
      live.dataset.i18n = up ? "live.on" : "live.off";
      live.textContent = t(up ? "live.on" : "live.off");
    },
  );
  loadRules()
    .then(load)
    .catch((error) => console.warn(error))
    .finally(() => document.body.classList.add("ready"));
  setInterval(() => load().catch((error) => console.warn(error)), 30_000);
}

start();
