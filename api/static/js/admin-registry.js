// The device registry: import a CSV or XLSX table (dry run: every row checked; then the
// good rows saved, the bad ones listed with their row numbers) and export each table.

import { el, t, toast } from "./common.js";
import { call, download, failed, field, table } from "./admin-ui.js";

const KINDS = ["channels", "enterprises", "stations", "meters"];
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** A fault in the page's language (the API's English message for an unknown code). */
function wording(e) {
  const key = `rg.err.${e.code}`;
  const text = t(key, e.params);
  return text === key ? e.message : text;
}

function result(box, answer) {
  const counts = {
    rows: answer.rows, added: answer.added, updated: answer.updated,
    unchanged: answer.unchanged, rejected: answer.rejected_rows,
  };
  const byRow = new Map();
  for (const e of answer.errors) {
    if (!byRow.has(e.row)) byRow.set(e.row, []);
    byRow.get(e.row).push(e);
  }
  const rows = [...byRow.entries()].map(([row, errors]) => ({
    id: row, row, column: errors.map((e) => e.column || "").join(", "),
    message: errors.map(wording).join("; "),
  }));
  box.replaceChildren(
    el("p", { class: "result", dataset: { applied: String(answer.applied), ...counts } },
      t(answer.applied ? "rg.applied" : "rg.summary", counts)),
    rows.length
      ? el("div", {}, el("h3", {}, t("rg.errors")),
          table([["rg.row", (r) => r.row], ["rg.column", (r) => r.column], ["rg.message", (r) => r.message]],
            rows, { id: "import-errors" }))
      : "",
  );
}

function importForm(box) {
  const kind = el("select", { name: "kind" }, KINDS.map((k) => el("option", { value: k }, t(`rg.kind.${k}`))));
  const file = el("input", { name: "file", type: "file", accept: ".csv,.xlsx,text/csv," + XLSX, required: true });
  const dry = el("button", { type: "submit", class: "btn", dataset: { action: "dry-run" } }, t("adm.dry_run"));
  const apply = el("button", { type: "button", class: "btn primary", disabled: true, dataset: { action: "import" } }, t("rg.import"));
  const send = async (dryRun) => {
    const chosen = file.files[0];
    if (!chosen) return;
    const answer = await call("POST", "/registry/import", {
      params: { kind: kind.value, dry_run: dryRun }, body: chosen,
      type: chosen.name.toLowerCase().endsWith(".xlsx") ? XLSX : "text/csv",
    });
    result(box, answer);
    apply.disabled = !dryRun || answer.added + answer.updated === 0;
    if (!dryRun) toast(t("adm.saved"));
  };
  const form = el("form", { id: "import-form", class: "form-row" }, field("rg.kind", kind), field("rg.file", file), dry, apply);
  form.addEventListener("change", () => (apply.disabled = true));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(true).catch(failed);
  });
  apply.addEventListener("click", () => {
    apply.disabled = true;
    send(false).catch(failed);
  });
  return form;
}

function exports() {
  return el("div", { class: "exports" }, KINDS.map((kind) => el("div", { class: "export-row" },
    el("span", {}, t(`rg.kind.${kind}`)),
    ...["csv", "xlsx"].map((format) => {
      const button = el("button", { type: "button", class: "btn small", dataset: { kind, format } },
        `${t("rg.export")} ${format.toUpperCase()}`);
      button.addEventListener("click", () =>
        download("/registry/export", { kind, format }, `registry-${kind}.${format}`).catch(failed));
      return button;
    }))));
}

export async function show(panel) {
  const box = el("div", { id: "import-result" });
  panel.append(
    el("section", { class: "card" }, el("h2", {}, t("rg.import")), el("p", { class: "muted small" }, t("rg.hint")),
      importForm(box), box),
    el("section", { class: "card" }, el("h2", {}, t("rg.export")), exports()),
  );
}
