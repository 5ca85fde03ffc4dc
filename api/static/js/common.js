// Shared by both pages: language, time zone, API calls, severity and state vocabulary,
// the live alert stream. Plain ES module, no build step.

import { DICT } from "./i18n.js";

const LANG_KEY = "lifeline.lang";
export const LANGS = ["zh-CN", "en"];

export let lang = LANGS.includes(localStorage.getItem(LANG_KEY))
  ? localStorage.getItem(LANG_KEY)
  : "zh-CN";

/** Translate a key; `{name}` placeholders are filled from `vars`. Unknown keys show as is. */
export function t(key, vars) {
  const table = DICT[lang] || DICT["zh-CN"];
  let text = table[key] ?? DICT.en[key] ?? key;
  if (vars) {
    for (const [name, value] of Object.entries(vars)) text = text.replaceAll(`{${name}}`, value);
  }
  return text;
}

/** The name of `key` when one is known, else `fallback` (data values such as a district
 * the label tables do not name). */
export function tOr(key, fallback) {
  const table = DICT[lang] || DICT["zh-CN"];
  return table[key] ?? DICT.en[key] ?? fallback;
}

/** A district's name in the current language (the registry writes them in Chinese). */
export function districtName(district) {
  return district ? tOr(`district.${district}`, district) : "—";
}

/** Fill every [data-i18n] element's text and [data-i18n-title] element's title. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
}

/** Names of rules, severities, states, kinds and metrics, written once on the server
 * (lifeline/core/labels.py): merged into the dictionary before the page renders. */
export const UNITS = {};
export async function loadLabels() {
  try {
    const response = await fetch("/api/v1/labels", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const tables = await response.json();
    for (const code of LANGS) Object.assign(DICT[code], tables[code] || {});
    Object.assign(UNITS, tables.units || {});
  } catch (error) {
    console.warn("labels", error);
  }
}

export function setLang(next) {
  lang = next;
  localStorage.setItem(LANG_KEY, next);
  timeFormat = makeTimeFormat();
  dateTimeFormat = makeDateTimeFormat();
  applyI18n();
}

// ------------------------------------------------------------------ time
export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

function makeTimeFormat() {
  return new Intl.DateTimeFormat(lang, {
    timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
}
function makeDateTimeFormat() {
  return new Intl.DateTimeFormat(lang, {
    timeZone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    second: "2-digit", hour12: false,
  });
}
let timeFormat = makeTimeFormat();
let dateTimeFormat = makeDateTimeFormat();
const dayKey = new Intl.DateTimeFormat("en-CA", {
  timeZone, year: "numeric", month: "2-digit", day: "2-digit",
});

/** Epoch ms as the operator's local time (today: time only; else date and time). */
export function fmtTime(ms) {
  if (ms == null) return "—";
  const d = new Date(ms);
  const today = dayKey.format(d) === dayKey.format(new Date());
  return today ? timeFormat.format(d) : dateTimeFormat.format(d);
}

/** The current time with the zone name, for the header clock. */
export function clockText() {
  return `${timeFormat.format(new Date())} ${timeZone}`;
}

/** A duration in the current language: "45秒", "15分钟", "2小时5分", "3天4小时". */
/** "维护中 至 12-08 16:00 · 更换阀门": a source's maintenance window (the API's
 * `maintenance` field), or "" when it has none. */
export function maintenanceText(window) {
  if (!window) return "";
  const reason = window.reason ? ` · ${window.reason}` : "";
  return `${t("maint.until", { end: fmtTime(window.end_ms) })}${reason}`;
}

export function fmtDuration(ms) {
  if (ms == null || Number.isNaN(ms)) return "—";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t("dur.s", { n: s });
  const m = Math.floor(s / 60);
  if (m < 60) return t("dur.m", { n: m });
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? t("dur.hm", { h, m: m % 60 }) : t("dur.h", { h });
  return t("dur.dh", { d: Math.floor(h / 24), h: h % 24 });
}

export function fmtNumber(value, digits = 1) {
  return value == null ? "—" : Number(value).toFixed(digits);
}

// ------------------------------------------------------------------ vocabulary
export const SEVERITIES = ["critical", "major", "minor", "warning"];
export const SEVERITY_RANK = { critical: 4, major: 3, minor: 2, warning: 1 };
export const STATES = [
  "active_unacked", "active_acked", "cleared_unacked", "shelved", "out_of_service", "closed",
];
export const CAUSES = ["real_leak", "false_alarm", "sensor_fault", "maintenance", "other"];

/** Newest and most severe first: severity, then raised time, then id. */
export function compareAlerts(a, b) {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    b.raised_at_ms - a.raised_at_ms ||
    b.id - a.id
  );
}

// ------------------------------------------------------------------ API
export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
  }
}

// ------------------------------------------------------------------ login (issues 6, 11)
// The bearer token lives in sessionStorage (this tab only, gone when it closes); every
// fetch sends it, the SSE stream passes it as ?access_token= (EventSource has no headers).
// No API call is made without a session: a call waits for the login form first. A 401
// (the session ended) drops the token and shows the form once, in place; the refused
// calls are made again after the login. The page is never reloaded for a login, so a
// refused call can never turn into a reload loop.
const TOKEN_KEY = "lifeline.token";
export let me = null; // {username, role, crew_id, utility_id} once logged in
let loginPrompt = null; // the open login form's promise: one form, however many calls wait

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

function loggedIn(account) {
  const previous = me;
  me = account;
  document.body.dataset.role = me.role;
  // another account logged in over an open page: build its own view from scratch
  if (previous && previous.username !== me.username) location.reload();
}

/** Show the login form (once, however many callers wait) and resolve with the account. */
function askLogin() {
  loginPrompt ??= new Promise((resolve) => {
    const user = el("input", { name: "username", autocomplete: "username", required: true });
    const pass = el("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
    const error = el("div", { class: "login-error", role: "alert" });
    const form = el("form", { class: "login-form", id: "login" },
      el("h2", {}, "Lifeline"),
      el("label", {}, t("login.username"), user),
      el("label", {}, t("login.password"), pass),
      error,
      el("button", { type: "submit", class: "btn primary" }, t("login.submit")));
    const overlay = el("div", { class: "login-overlay" }, form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await fetch(`${API}/auth/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: user.value, password: pass.value }),
      });
      if (!response.ok) {
        error.textContent = response.status === 429 ? t("login.limited") : t("login.failed");
        return;
      }
      const body = await response.json();
      sessionStorage.setItem(TOKEN_KEY, body.access_token);
      overlay.remove();
      loginPrompt = null;
      loggedIn(body.user);
      resolve(me);
    });
    document.body.append(overlay);
    user.focus();
  });
  return loginPrompt;
}

/** Resolve with the account once logged in (asks with the login form when needed). */
export async function requireLogin() {
  if (sessionStorage.getItem(TOKEN_KEY)) {
    const response = await fetch(`${API}/auth/me`, { headers: authHeaders() });
    if (response.ok) {
      loggedIn(await response.json());
      return me;
    }
    sessionStorage.removeItem(TOKEN_KEY);
  }
  return askLogin();
}

/** fetch with the session's token; waits for a login first, and again after a 401. */
export async function authorizedFetch(url, init = {}) {
  if (!sessionStorage.getItem(TOKEN_KEY)) await askLogin();
  const send = () => fetch(url, { ...init, headers: { ...init.headers, ...authHeaders() } });
  let response = await send();
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    await askLogin();
    response = await send(); // a second 401 is an error of this call, never a loop
  }
  return response;
}

/** End the session on the server, then start over at the login form. */
export async function logout() {
  await fetch(`${API}/auth/logout`, { method: "POST", headers: authHeaders() });
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload(); // the user asked: one load, which finds no token and shows the form
}

/** Operators and administrators act on alerts; crews on their own; utilities read. */
export function mayAct() {
  return me != null && me.role !== "utility";
}

export async function getJSON(path, params) {
  const url = new URL(API + path, location.origin);
  if (params) {
    for (const [k, v] of Object.entries(params)) {
      if (Array.isArray(v)) v.forEach((x) => url.searchParams.append(k, x));
      else if (v != null) url.searchParams.set(k, v);
    }
  }
  const response = await authorizedFetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new ApiError(response.status, (await response.json()).detail);
  return response.json();
}

export async function postJSON(path, body) {
  const response = await authorizedFetch(API + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  const data = await response.json();
  if (!response.ok) throw new ApiError(response.status, data.detail);
  return data;
}

/** POST /alerts/{id}/{action} with a note and the action's own fields (the actor is the
 * logged-in account; an `actor` field is ignored by the API). */
export function act(alertId, action, fields) {
  const body = {};
  for (const [k, v] of Object.entries(fields || {})) if (v !== "" && v != null) body[k] = v;
  return postJSON(`/alerts/${alertId}/${action}`, body);
}

/** All open alerts (up to 5 pages of 1,000). */
export async function openAlerts(params = {}) {
  const out = [];
  for (let offset = 0; offset < 5000; offset += 1000) {
    const page = await getJSON("/alerts", { open: true, limit: 1000, offset, ...params });
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) break;
  }
  return out;
}

// ------------------------------------------------------------------ live stream
/**
 * Subscribe to /alerts/stream. `onEvent(alertEvent)` per state change; `onStatus(bool)`
 * when the connection opens or drops. EventSource reconnects by itself after a network
 * drop, but gives up on a refusal (a 401 once the session ended): then the session is
 * checked (a 401 brings the login form) and the stream opened again with the new token.
 */
export function liveAlerts(onEvent, onStatus) {
  const RETRY_MS = 2000;
  const reopen = () =>
    setTimeout(() => getJSON("/auth/me").then(open, reopen), RETRY_MS);
  function open() {
    const token = encodeURIComponent(sessionStorage.getItem(TOKEN_KEY) || "");
    const source = new EventSource(`${API}/alerts/stream?access_token=${token}`);
    source.addEventListener("open", () => onStatus(true));
    source.addEventListener("error", () => {
      onStatus(false);
      if (source.readyState === EventSource.CLOSED) reopen();
    });
    source.addEventListener("alert", (message) => {
      try {
        onEvent(JSON.parse(message.data));
      } catch (error) {
        console.warn("bad alert frame", error);
      }
    });
  }
  open();
}

/** ISO time of an AlertEvent as epoch ms. */
export function isoMs(iso) {
  return iso ? Date.parse(iso) : null;
}

// ------------------------------------------------------------------ small DOM helpers
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Show a short message at the bottom of the screen. */
export function toast(message, kind = "info") {
  let box = document.getElementById("toasts");
  if (!box) {
    box = el("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(box);
  }
  const item = el("div", { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), 4000);
}
