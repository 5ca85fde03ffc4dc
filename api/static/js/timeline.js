// An alert's incident timeline (raise -> notify -> ack -> assign -> arrive -> resolve) from
// its audit trail (GET /alerts/{id}) and notifications (GET /alerts/{id}/notifications),
// and the plain list of who was notified. Both load when opened.

import { el, fmtDuration, fmtTime, getJSON, isoMs, t, tOr } from "./common.js";

const STAGES = ["raise", "notify", "ack", "assign", "arrive", "resolve"];
const SYSTEM = "system";

/** Audit entries and notifications as timeline events, oldest first. */
export function incidentEvents(alert, audit, notifications) {
  const events = [];
  let assigned = false;
  for (const entry of audit) {
    const at = entry.at_ms;
    const by = entry.actor === SYSTEM ? null : entry.actor;
    const note = by ? entry.note : null;
    switch (entry.action) {
      case "raise":
        events.push({ at, stage: "raise", text: t(entry.to_state === "out_of_service" ? "tl.suppress" : "tl.raise") });
        break;
      case "ack":
        events.push({ at, stage: assigned ? "arrive" : "ack", text: t(assigned ? "tl.arrive" : "tl.ack"), by, note });
        break;
      case "assign": {
        assigned = true;
        const crew = /^assigned to (.+)$/.exec(entry.note || "")?.[1] || alert.assigned_to || "";
        const own = entry.note && !entry.note.startsWith("assigned to ") ? entry.note : null;
        events.push({ at, stage: "assign", text: `${t("tl.assign")} ${t("tl.to", { crew })}`, by, note: own });
        break;
      }
      case "close": {
        const cause = entry.cause ? ` · ${tOr(`cause.${entry.cause}`, entry.cause)}` : "";
        events.push({ at, stage: "resolve", text: `${t("tl.resolve")}${cause}`, by, note });
        break;
      }
      case "escalate":
      case "deescalate": {
        const severity = (entry.note || "").split("->").pop().trim();
        events.push({ at, text: t(`tl.${entry.action}`, { severity: tOr(`severity.${severity}`, "") }) });
        break;
      }
      default:
        events.push({ at, text: tOr(`tl.${entry.action}`, t("tl.other")), by, note });
    }
  }
  for (const item of notifications) {
    if (item.state === "grouped") continue;
    events.push({
      at: isoMs(item.done_at || item.due_at), stage: "notify", failed: item.state === "failed",
      text: `${t("tl.notify")} ${item.receiver} · ${t(`notify.kind.${item.kind}`)} · ${t(`notify.state.${item.state}`)}`,
    });
  }
  return events.sort((a, b) => a.at - b.at);
}

function renderTimeline(alert, events) {
  const done = new Set(events.map((e) => e.stage).filter(Boolean));
  const start = alert.raised_at_ms;
  return [
    el("div", { class: "tl-steps" }, STAGES.map((s) =>
      el("span", { class: `tl-step ${done.has(s) ? "done" : ""}`, dataset: { stage: s } },
        `${done.has(s) ? "✓ " : ""}${t(`tl.${s}`)}`))),
    el("ol", { class: "tl-list" }, events.map((e) =>
      el("li", { class: e.failed ? "tl-failed" : "", dataset: { stage: e.stage || "" } },
        el("span", { class: "when" }, fmtTime(e.at)),
        el("span", { class: "when" }, t("tl.after", { d: fmtDuration(e.at - start) })),
        el("b", {}, e.text),
        e.by ? el("span", { class: "muted" }, t("tl.by", { actor: e.by })) : null,
        e.note ? el("span", {}, `“${e.note}”`) : null))),
  ];
}

/** A <details> that shows the alert's timeline when opened. */
export function timelineBox(alert) {
  const body = el("div", { class: "tl-body small" });
  const box = el("details", { class: "timeline", dataset: { id: alert.id } },
    el("summary", { class: "small muted" }, t("tl.title")), body);
  box.addEventListener("toggle", async () => {
    if (!box.open) return;
    const [detail, history] = await Promise.all([
      getJSON(`/alerts/${alert.id}`).catch(() => ({ audit: [] })),
      getJSON(`/alerts/${alert.id}/notifications`).catch(() => ({ items: [] })),
    ]);
    body.replaceChildren(...renderTimeline(alert, incidentEvents(alert, detail.audit, history.items)));
  });
  return box;
}

/** Who was told of the alert, when and with what result (loaded when opened). */
export function notificationsBox(alertId) {
  const list = el("div", { class: "notify-list small" });
  const box = el("details", { class: "notify", dataset: { id: alertId } },
    el("summary", { class: "small muted" }, t("notify.title")), list);
  box.addEventListener("toggle", async () => {
    if (!box.open) return;
    try {
      const history = await getJSON(`/alerts/${alertId}/notifications`);
      const tried = new Map();
      for (const attempt of history.attempts) tried.set(attempt.item_id, attempt);
      const rows = history.items.filter((i) => i.state !== "grouped").map((item) => {
        const attempt = tried.get(item.id);
        const when = item.done_at || item.due_at;
        return el("div", { class: `notify-item n-${item.state}` },
          el("span", {}, t(`notify.kind.${item.kind}`)),
          el("b", {}, item.receiver),
          el("span", { class: "muted" }, t(`notify.state.${item.state}`)),
          el("span", { class: "muted" }, fmtTime(isoMs(when))),
          attempt && !attempt.ok ? el("span", { class: "muted" }, attempt.result) : null);
      });
      list.replaceChildren(...(rows.length ? rows : [el("div", { class: "muted" }, t("notify.empty"))]));
    } catch (error) {
      list.replaceChildren(el("div", { class: "muted" }, t("notify.empty")));
    }
  });
  return box;
}
