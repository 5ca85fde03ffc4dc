// Rule parameters: every rule with its key parameters; one rule's fields edited as JSON,
// validated and dry-run against the open alerts, then saved as a new version that runs
// from the rule engine's next start (said plainly on the page).

import { el, t, toast } from "./common.js";
import { call, failed, field, fmtDateTime, table } from "./admin-ui.js";
import { outcomeText } from "./admin-setpoints.js";

const FIXED = ["name", "type", "kind"];

function summary(rule) {
  const parts = [];
  const arrow = { above: " ≥ ", below: " < " }[rule.direction] || "";
  const levels = (rule.levels || []).map((l) => `${l.value} ${t(`severity.${l.severity}`)}`).join(", ");
  if (rule.metric) parts.push(`${t(`metric.${rule.metric}`)}${levels ? arrow + levels : ""}`);
  if (rule.levels_from_registry) parts.push(`(${t("adm.tab.setpoints")})`);
  for (const key of ["deadband", "on_delay_s", "timeout_s", "duration_s", "detector"]) {
    if (rule[key] != null) parts.push(`${key}=${rule[key]}`);
  }
  return parts.join(" · ");
}

function editable(rule) {
  return Object.fromEntries(Object.entries(rule).filter(([key]) => !FIXED.includes(key)));
}

function banner(state) {
  return el("div", { class: `banner${state.restart_required ? " warn" : ""}`, id: "rules-state", dataset: { restart: String(state.restart_required) } },
    el("div", {}, t("ru.running", { source: state.running_source })),
    state.restart_required
      ? el("div", {}, el("b", {}, `⚠ ${t("ru.restart")}: `),
          t("ru.saved", { version: state.saved_version, by: state.saved_by, at: fmtDateTime(state.saved_at_ms) }))
      : "",
    el("div", { class: "muted small" }, t("ru.restart_hint")));
}

function editor(rule, result, reload) {
  const text = el("textarea", { name: "params", rows: 14, spellcheck: "false" }, JSON.stringify(editable(rule), null, 2));
  const note = el("input", { name: "note", maxlength: 500 });
  const dry = el("button", { type: "button", class: "btn", dataset: { action: "dry-run" } }, t("adm.dry_run"));
  const save = el("button", { type: "button", class: "btn primary", dataset: { action: "save" } }, t("ru.save"));
  const changes = () => {
    try {
      return { [rule.name]: JSON.parse(text.value) };
    } catch (error) {
      throw new Error(t("ru.bad_json", { detail: error.message }));
    }
  };
  dry.addEventListener("click", async () => {
    try {
      const answer = await call("POST", "/rules/dry-run", { json: { changes: changes() } });
      result.replaceChildren(
        el("p", {}, t("ru.changed", { rules: answer.changed_rules.map((r) => t(`rule.${r}`)).join("、") || t("adm.none") })),
        answer.alerts.length
          ? el("ul", { class: "changes" }, answer.alerts.map((a) => el("li", {}, outcomeText(a))))
          : el("p", { class: "muted" }, t("ru.no_alerts")));
    } catch (error) {
      result.replaceChildren(el("p", { class: "error" }, error.message));
    }
  });
  save.addEventListener("click", async () => {
    try {
      await call("PUT", "/rules/parameters", { json: { changes: changes(), note: note.value || null } });
      toast(t("adm.saved"));
      await reload(rule.name);
    } catch (error) {
      result.replaceChildren(el("p", { class: "error" }, error.message));
    }
  });
  return el("div", { class: "rule-editor", dataset: { rule: rule.name } },
    el("h3", {}, `${t(`rule.${rule.name}`)} (${rule.name})`),
    field("ru.edit", text), field("ru.note", note), el("div", { class: "buttons" }, dry, save));
}

export async function show(panel) {
  const stateBox = el("div");
  const listBox = el("div", { class: "rules-list" });
  const editBox = el("div");
  const result = el("div", { id: "rules-result" });
  const reload = async (selected) => {
    const state = await call("GET", "/rules/parameters");
    stateBox.replaceChildren(banner(state));
    const pick = (rule) => {
      editBox.replaceChildren(editor(rule, result, reload));
      result.replaceChildren();
      for (const row of listBox.querySelectorAll("tr")) row.classList.toggle("on", row.dataset.id === rule.name);
    };
    listBox.replaceChildren(table([
      ["ru.rule", (r) => el("a", { href: "#rules", class: "rule-link" }, t(`rule.${r.name}`))],
      ["ru.type", (r) => t(`ru.type.${r.type}`)], ["ru.kind", (r) => t(`kind.${r.kind}`)], ["ru.params", summary],
    ], state.rules.map((r) => ({ ...r, id: r.name }))));
    for (const row of listBox.querySelectorAll("tbody tr")) {
      row.addEventListener("click", (event) => {
        event.preventDefault();
        pick(state.rules.find((r) => r.name === row.dataset.id));
      });
    }
    const again = state.rules.find((r) => r.name === selected);
    if (again) pick(again);
  };
  panel.append(stateBox, el("div", { class: "split" },
    el("section", { class: "card" }, listBox),
    el("section", { class: "card" }, editBox, result)));
  await reload(null);
}
