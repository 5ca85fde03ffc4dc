// The audit log's newest administrative entries, each change with its before and after.

import { el, getJSON, t } from "./common.js";
import { fmtDateTime, table } from "./admin-ui.js";

const KINDS = ["maintenance", "registry", "rule", "user", "api_key"];

function change(entry) {
  if (!entry.detail) return "";
  try {
    const { before, after, ...rest } = JSON.parse(entry.detail);
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
    return el("code", { class: "diff" }, `${JSON.stringify(before)} → ${JSON.stringify(after)}${extra}`);
  } catch {
    return entry.detail;
  }
}

export async function show(panel) {
  const pages = await Promise.all(KINDS.map((kind) => getJSON("/audit", { kind, limit: 100 })));
  const entries = pages.flatMap((p) => p.items).sort((a, b) => b.at_ms - a.at_ms).slice(0, 200);
  panel.append(el("section", { class: "card" }, table([
    ["au.at", (e) => fmtDateTime(e.at_ms)], ["au.actor", (e) => e.actor], ["au.kind", (e) => e.kind],
    ["au.action", (e) => e.action], ["au.target", (e) => e.target || ""], ["au.detail", change],
  ], entries, { id: "audit" })));
}
