// Helpers of the administration and report pages: API calls of any method, downloads
// with the session's token, small tables, local date-time inputs.

import { API, ApiError, authorizedFetch, el, lang, t, toast } from "./common.js";

/** Call the API; `json` is sent as JSON, `body` as it is. Resolves with the JSON answer
 * (null for 204) or throws ApiError with the API's detail. */
export async function call(method, path, { json, body, params, type } = {}) {
  const url = new URL(API + path, location.origin);
  for (const [k, v] of Object.entries(params || {})) if (v != null && v !== "") url.searchParams.set(k, v);
  const headers = { Accept: "application/json" };
  if (json !== undefined) headers["Content-Type"] = "application/json";
  if (type) headers["Content-Type"] = type;
  const response = await authorizedFetch(url, {
    method, headers, body: json !== undefined ? JSON.stringify(json) : body,
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, detailText(data.detail));
  return data;
}

function detailText(detail) {
  if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  return detail ?? "";
}

/** Fetch a file with the session's token and hand it to the browser as a download. */
export async function download(path, params, fallbackName) {
  const url = new URL(API + path, location.origin);
  for (const [k, v] of Object.entries(params || {})) if (v != null) url.searchParams.set(k, v);
  const response = await authorizedFetch(url);
  if (!response.ok) throw new ApiError(response.status, (await response.json().catch(() => ({}))).detail);
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] || fallbackName;
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

const FAILURE_KINDS = { 400: "bad", 401: "login", 403: "denied", 404: "missing", 409: "conflict", 413: "large", 422: "invalid" };

/** Show a failure as a toast (and keep it in the console): what went wrong in the page's
 * language (by HTTP status), then the server's own words, which name the field or row. */
export function failed(error) {
  console.warn(error);
  const kind = FAILURE_KINDS[error.status] || (error.status >= 500 ? "server" : "network");
  toast(t("adm.failed", { detail: `${t(`fail.${kind}`)} (${error.message})` }), "error");
}

/** A table: `columns` are [header key, cell(row) -> text or node]. */
export function table(columns, rows, attrs = {}) {
  return el("table", { class: "table", ...attrs },
    el("thead", {}, el("tr", {}, columns.map(([key]) => el("th", {}, t(key))))),
    el("tbody", {}, rows.map((row) => el("tr", { dataset: { id: row.id ?? "" } },
      columns.map(([, cell]) => el("td", {}, cell(row)))))));
}

const pad = (n) => String(n).padStart(2, "0");

/** Epoch ms as a datetime-local input value (the browser's zone). */
export function localInput(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local input value (the browser's zone) as epoch ms. */
export function fromLocalInput(value) {
  return value ? new Date(value).getTime() : null;
}

/** Epoch ms as a full local date and time. */
export function fmtDateTime(ms) {
  if (ms == null) return "—";
  return new Intl.DateTimeFormat(lang, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
  }).format(new Date(ms));
}

/** A labelled form field. */
export function field(labelKey, input) {
  return el("label", { class: "field" }, el("span", {}, t(labelKey)), input);
}
