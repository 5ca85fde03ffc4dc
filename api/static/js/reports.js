// The printable report page (/reports, staff): a day, week or month of on-line rates
// (counted from each source's registration), alarm counts, handling times and ISA-18.2
// KPIs; downloads as XLSX or CSV (the summary table), and a print layout.

import "./admin-i18n.js";
import { applyI18n, el, fmtNumber, getJSON, lang, loadLabels, requireLogin, setLang, t } from "./common.js";
import { download, failed, fmtDateTime, table } from "./admin-ui.js";

const $ = (id) => document.getElementById(id);
const form = () => $("report-form");
let report = null;

function params() {
  const f = form();
  return { period: f.period.value, date: f.date.value, operators: f.operators.value, lang };
}

const pct = (rate) => (rate == null ? t("rep.not_counted") : `${fmtNumber(rate * 100, 2)}%`);
const minutes = (ms) => (ms == null ? "—" : t("rep.minutes", { value: fmtNumber(ms / 60_000, 1) }));

function summary(r) {
  const s = r.summary;
  const items = [
    ["enterprises_n", s.enterprises], ["enterprise_rate", pct(s.enterprise_online_rate)],
    ["channels_n", s.channels], ["channel_rate", pct(s.channel_online_rate)],
    ["alarms", s.alarms], ["suppressed", s.suppressed], ["acked", s.acked],
    ["mean_ack", minutes(s.time_to_ack.mean_ms)], ["p90_ack", minutes(s.time_to_ack.p90_ms)],
    ["closed", s.closed], ["mean_resolve", minutes(s.time_to_resolve.mean_ms)],
    ["per_op_avg", fmtNumber(s.per_operator_per_10min_avg, 2)], ["per_op_max", s.per_operator_per_10min_max],
    ["floods", s.floods], ["chattering", s.chattering], ["stale", s.stale],
  ];
  return el("dl", { class: "summary", id: "summary" }, items.flatMap(([key, value]) => [
    el("dt", {}, t(`rep.k.${key}`)), el("dd", { dataset: { key } }, String(value)),
  ]));
}

function online(rows, limit) {
  const counted = rows.filter((r) => r.rate != null).sort((a, b) => a.rate - b.rate || a.id.localeCompare(b.id));
  return table([
    ["ent.id", (r) => r.id], ["rep.k.name", (r) => r.name], ["ent.district", (r) => r.district],
    ["rep.k.counted_from", (r) => fmtDateTime(r.counted_from_ms)],
    ["rep.k.slots", (r) => `${r.present_slots} / ${r.expected_slots}`], ["ent.online", (r) => pct(r.rate)],
  ], limit ? counted.slice(0, limit) : counted);
}

function render() {
  const box = $("report");
  if (!report) return;
  const r = report;
  const isa = [
    ...r.floods.map((f) => ({ id: `f${f.start_ms}`, what: t("kpi.floods"), who: "—", detail: `${fmtDateTime(f.start_ms)} – ${fmtDateTime(f.end_ms)} · ${f.peak}/10 min` })),
    ...r.chattering.map((c) => ({ id: `c${c.source_id}${c.rule}`, what: t("kpi.chattering"), who: c.source_id, detail: `${t(`rule.${c.rule}`)} · ${c.max_per_minute}/min` })),
    ...r.stale.map((s) => ({ id: `s${s.id}`, what: t("kpi.stale"), who: s.source_id, detail: `${t(`rule.${s.rule}`)} · ${minutes(s.active_ms)}` })),
  ];
  box.replaceChildren(
    el("header", { class: "report-head" },
      el("h2", {}, `${t(`rep.period.${r.kind}`)} ${r.label}`),
      el("div", { class: "muted" }, t("rep.range", { start: fmtDateTime(r.start_ms), end: fmtDateTime(r.end_ms) }),
        " · ", t("rep.generated", { at: fmtDateTime(r.generated_at_ms) }))),
    el("section", {}, el("h3", {}, t("rep.summary")), summary(r)),
    el("section", {}, el("h3", {}, t("rep.buckets")), table([
      ["rep.k.period", (b) => b.label], ["rep.k.alarms", (b) => b.alarms], ["rep.k.annunciations", (b) => b.annunciations],
      ["rep.k.acked", (b) => b.acked], ["rep.k.mean_ack", (b) => minutes(b.mean_ack_ms)],
      ["rep.k.closed", (b) => b.closed], ["rep.k.mean_resolve", (b) => minutes(b.mean_resolve_ms)],
    ], r.buckets.map((b) => ({ ...b, id: b.label })), { id: "buckets" })),
    el("section", {}, el("h3", {}, t("rep.enterprises")), el("p", { class: "muted small" }, t("rep.counted_hint")),
      online(r.enterprises)),
    el("section", {}, el("h3", {}, t("rep.channels")), online(r.channels, 50)),
    el("section", {}, el("h3", {}, t("rep.rules")), table([
      ["ru.rule", ([rule]) => t(`rule.${rule}`)], ["rep.k.alarms", ([, n]) => n],
    ], Object.entries(r.by_rule))),
    el("section", {}, el("h3", {}, t("rep.isa")), isa.length
      ? table([["rep.k.what", (x) => x.what], ["rep.k.source", (x) => x.who], ["rep.k.detail", (x) => x.detail]], isa)
      : el("p", { class: "muted" }, t("adm.none"))),
  );
}

async function generate() {
  report = await getJSON("/reports", params());
  render();
}

async function start() {
  await loadLabels();
  applyI18n();
  const account = await requireLogin();
  const f = form();
  f.date.value = new Date().toLocaleDateString("en-CA");
  $("lang").addEventListener("click", () => {
    setLang(lang === "zh-CN" ? "en" : "zh-CN");
    render();
  });
  f.addEventListener("submit", (event) => {
    event.preventDefault();
    generate().catch(failed);
  });
  $("xlsx").addEventListener("click", () =>
    download("/reports", { ...params(), format: "xlsx" }, "report.xlsx").catch(failed));
  $("csv").addEventListener("click", () =>
    download("/reports", { ...params(), format: "csv", section: "summary" }, "report.csv").catch(failed));
  $("print").addEventListener("click", () => window.print());
  if (account.role !== "admin" && account.role !== "operator") {
    $("report").replaceChildren(el("p", { class: "denied" }, t("adm.denied")));
  } else {
    await generate().catch(failed);
  }
  document.body.classList.add("ready");
}

start();
