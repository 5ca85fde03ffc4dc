// Maintenance windows: plan one (target, start, end, reason), list the current and
// planned ones (or all), cancel one. Every change is audited by the API.

import { el, t, toast } from "./common.js";
import { call, failed, field, fmtDateTime, fromLocalInput, localInput, table } from "./admin-ui.js";

const HOUR = 3_600_000;
let showAll = false;

function kindName(w) {
  return w.target_kind ? t(`kind.${w.target_kind}`) : "—";
}

async function list(box) {
  const params = showAll ? { include_cancelled: true, limit: 1000 } : { upcoming: true, limit: 1000 };
  const page = await call("GET", "/maintenance", { params });
  const rows = [...page.items].sort((a, b) => b.start_ms - a.start_ms);
  box.replaceChildren(
    rows.length === 0
      ? el("p", { class: "muted" }, t("adm.none"))
      : table(
          [
            ["ent.id", (w) => `#${w.id}`],
            ["mt.target", (w) => el("span", {}, el("b", {}, w.target_id), ` ${w.target_name || ""} · ${kindName(w)}`)],
            ["mt.start", (w) => fmtDateTime(w.start_ms)],
            ["mt.end", (w) => fmtDateTime(w.end_ms)],
            ["mt.reason", (w) => w.reason],
            ["mt.status", (w) => el("span", { class: `status st-${w.status}` }, t(`mt.status.${w.status}`))],
            ["mt.by", (w) => w.created_by],
            ["", (w) => (w.status === "scheduled" || w.status === "active" ? cancelButton(w, box) : "")],
          ],
          rows,
          { id: "maintenance-list" },
        ),
  );
}

function cancelButton(w, box) {
  const button = el("button", { type: "button", class: "btn danger small", dataset: { action: "cancel" } }, t("mt.cancel"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await call("DELETE", `/maintenance/${w.id}`);
      toast(t("adm.saved"));
      await list(box);
    } catch (error) {
      failed(error);
      button.disabled = false;
    }
  });
  return button;
}

function form(box) {
  const now = Date.now();
  const target = el("input", { name: "target_id", required: true, autocomplete: "off", spellcheck: "false", placeholder: "GAS-0001 / HEAT-001" });
  const start = el("input", { name: "start", type: "datetime-local", required: true, value: localInput(now) });
  const end = el("input", { name: "end", type: "datetime-local", required: true, value: localInput(now + 4 * HOUR) });
  const reason = el("input", { name: "reason", required: true, maxlength: 200 });
  const submit = el("button", { type: "submit", class: "btn primary" }, t("mt.create"));
  const node = el("form", { id: "maintenance-form", class: "form-row" },
    field("mt.target", target), field("mt.start", start), field("mt.end", end), field("mt.reason", reason), submit);
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const created = await call("POST", "/maintenance", {
        json: {
          target_id: target.value.trim(), start: fromLocalInput(start.value),
          end: fromLocalInput(end.value), reason: reason.value.trim(),
        },
      });
      toast(t("mt.created", { id: created.id }));
      reason.value = "";
      await list(box);
    } catch (error) {
      failed(error);
    } finally {
      submit.disabled = false;
    }
  });
  return node;
}

export async function show(panel) {
  const box = el("div", { class: "list-box" });
  const toggle = el("input", { type: "checkbox", name: "show_all", checked: showAll });
  toggle.addEventListener("change", () => {
    showAll = toggle.checked;
    list(box).catch(failed);
  });
  panel.append(
    el("section", { class: "card" }, el("h2", {}, t("mt.new")), el("p", { class: "muted small" }, t("mt.hint")), form(box)),
    el("section", { class: "card" },
      el("div", { class: "card-head" }, el("h2", {}, t("mt.list")),
        el("label", { class: "check" }, toggle, t("mt.show_all"))),
      box),
  );
  await list(box);
}
