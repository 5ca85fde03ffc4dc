// Alarm set-points of gas channels: the levels in use per site type; a change for a
// class (site type, district) as a dry run first, then applied; one channel's levels.

import { el, fmtNumber, t, toast } from "./common.js";
import { call, failed, field, table } from "./admin-ui.js";

const SHOWN = 20; // changed channels listed (the count says how many in all)
const DISTRICTS = ["市南", "市北", "李沧", "崂山", "城阳", "黄岛", "即墨", "胶州", "平度", "莱西"];

function levelsText(c) {
  return c.levels.map((l) => `${fmtNumber(l.low_pct, 0)}/${fmtNumber(l.high_pct, 0)} (${l.count})`).join("  ");
}

export function outcomeText(a) {
  const what = a.outcome === "severity"
    ? t("outcome.severity", { severity: t(`severity.${a.new_severity}`) })
    : t(`outcome.${a.outcome}`);
  return `#${a.alert_id} ${a.source_id} · ${t(`rule.${a.rule}`)} · ${t(`severity.${a.severity}`)} → ${what}`;
}

function options(values, labelOf, any = true) {
  return [...(any ? [el("option", { value: "" }, t("sp.any"))] : []),
    ...values.map((v) => el("option", { value: v }, labelOf(v)))];
}

function classForm(classes, result, refresh) {
  const siteType = el("select", { name: "site_type" }, options(classes.map((c) => c.site_type), (v) => t(`site.${v}`), false));
  const district = el("select", { name: "district" }, options(DISTRICTS, (v) => v));
  const low = el("input", { name: "low_pct", type: "number", step: "0.1", min: "0.1", max: "99", value: "20" });
  const high = el("input", { name: "high_pct", type: "number", step: "0.1", min: "0.2", max: "100", value: "50" });
  const dry = el("button", { type: "submit", class: "btn", dataset: { action: "dry-run" } }, t("adm.dry_run"));
  const apply = el("button", { type: "button", class: "btn primary", disabled: true, dataset: { action: "apply" } }, t("adm.apply"));
  const body = (dryRun) => ({
    site_type: siteType.value, district: district.value || null,
    low_pct: Number(low.value), high_pct: Number(high.value), dry_run: dryRun,
  });
  const form = el("form", { id: "setpoint-form", class: "form-row" },
    field("sp.site_type", siteType), field("sp.district", district), field("sp.low", low), field("sp.high", high), dry, apply);
  const run = async (dryRun) => {
    const answer = await call("POST", "/setpoints", { json: body(dryRun) });
    showResult(result, answer);
    apply.disabled = !dryRun || answer.changed.length === 0;
    if (!dryRun) {
      toast(t("sp.applied", { changed: answer.changed.length }));
      await refresh();
    }
  };
  form.addEventListener("input", () => (apply.disabled = true));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(true).catch(failed);
  });
  apply.addEventListener("click", () => run(false).catch(failed));
  return form;
}

function showResult(box, answer) {
  const rows = answer.changed.slice(0, SHOWN);
  box.replaceChildren(
    el("p", { class: "result", dataset: { matched: answer.matched, changed: answer.changed.length } },
      t(answer.applied ? "sp.applied" : "sp.matched", { matched: answer.matched, changed: answer.changed.length })),
    answer.alerts.length
      ? el("div", {}, el("h3", {}, t("sp.alerts")), el("ul", { class: "changes" }, answer.alerts.map((a) => el("li", {}, outcomeText(a)))))
      : "",
    rows.length
      ? table([
          ["sp.channel", (r) => r.id], ["rep.k.name", (r) => r.name],
          ["sp.before", (r) => r.before.join(" / ")], ["sp.after", (r) => r.after.join(" / ")],
        ], rows)
      : "",
    answer.changed.length > SHOWN ? el("p", { class: "muted small" }, t("sp.more", { more: answer.changed.length - SHOWN })) : "",
  );
}

function channelForm() {
  const id = el("input", { name: "channel_id", required: true, placeholder: "GAS-0001", spellcheck: "false" });
  const low = el("input", { name: "low_pct", type: "number", step: "0.1", min: "0.1", max: "99" });
  const high = el("input", { name: "high_pct", type: "number", step: "0.1", min: "0.2", max: "100" });
  const save = el("button", { type: "submit", class: "btn primary" }, t("adm.apply"));
  const form = el("form", { id: "channel-setpoint-form", class: "form-row" },
    field("sp.channel", id), field("sp.low", low), field("sp.high", high), save);
  id.addEventListener("change", async () => {
    try {
      const channel = await call("GET", `/channels/${encodeURIComponent(id.value.trim())}`);
      low.value = channel.low_pct;
      high.value = channel.high_pct;
    } catch (error) {
      failed(error);
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await call("PUT", `/channels/${encodeURIComponent(id.value.trim())}`,
        { json: { low_pct: Number(low.value), high_pct: Number(high.value) } });
      toast(t("adm.saved"));
    } catch (error) {
      failed(error);
    }
  });
  return form;
}

export async function show(panel) {
  const classesBox = el("div");
  const result = el("div", { id: "setpoint-result" });
  const refresh = async () => {
    const classes = await call("GET", "/setpoints");
    classesBox.replaceChildren(table([
      ["sp.site_type", (c) => t(`site.${c.site_type}`)], ["sp.channels", (c) => c.channels], ["sp.levels", levelsText],
    ], classes));
    return classes;
  };
  const classes = await refresh();
  panel.append(
    el("section", { class: "card" }, el("h2", {}, t("sp.classes")), classesBox),
    el("section", { class: "card" }, el("h2", {}, t("sp.class_change")), classForm(classes, result, refresh), result),
    el("section", { class: "card" }, el("h2", {}, t("sp.one")), channelForm()),
  );
}
