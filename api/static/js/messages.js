// Alert texts in the page's language, from the alert's rule, value and threshold and the
// metric's name, unit and decimals (GET /api/v1/rules and /labels), never the English
// `message` the engine writes; and metric names and values for charts and cards.

import { UNITS, fmtDuration, getJSON, t, tOr } from "./common.js";

const rules = new Map(); // rule name -> RuleOut
let loading = null;

/** Load the rule set once (any account may read it); later calls share the promise. */
export function loadRules() {
  loading ??= getJSON("/rules")
    .then((list) => list.forEach((r) => rules.set(r.name, r)))
    .catch((error) => console.warn("rules", error));
  return loading;
}

export function ruleOf(name) {
  return rules.get(name) || null;
}

export function allRules() {
  return [...rules.values()];
}

export function ruleName(rule) {
  return tOr(`rule.${rule}`, rule);
}

/** A metric's name: "二次供水温度" (its id only if the labels lack it). */
export function metricName(metric) {
  return tOr(`metric.${metric}`, metric);
}

/** A value with its metric's unit and decimals: "0.25 MPa", "63.0 %LEL". */
export function metricValue(metric, value, extraDecimals = 0) {
  if (value == null || Number.isNaN(Number(value))) return "—";
  const known = UNITS[metric];
  if (!known) return String(Number(Number(value).toPrecision(4)));
  const text = Number(value).toFixed(known.decimals + extraDecimals);
  return known.unit ? `${text} ${known.unit}` : text;
}

/** "可燃气体浓度 (%LEL)": an axis title. */
export function metricTitle(metric) {
  const unit = UNITS[metric]?.unit;
  return unit ? `${metricName(metric)} (${unit})` : metricName(metric);
}

function anomalyText(rule, alert) {
  const metric = rule.metric || rule.metrics?.[0] || null;
  const value = (m, v, extra = 0) => metricValue(m, v, extra);
  const vars = { rule: ruleName(alert.rule), metric: metric ? metricName(metric) : "" };
  switch (rule.detector) {
    case "rate_of_rise":
    case "baseline_drift":
      return t(`msg.anomaly.${rule.detector}`, {
        value: value(metric, alert.value, 1), threshold: value(metric, alert.threshold, 1),
      });
    case "stuck_value":
      return t("msg.anomaly.stuck_value", { count: Math.round((alert.value ?? 0) + 1) });
    case "mahalanobis":
      return t("msg.anomaly.mahalanobis", { value: value(null, alert.value), threshold: value(null, alert.threshold) });
    case "continuous_flow":
    case "micro_leak":
      return t(`msg.anomaly.${rule.detector}`, { value: value("flow_m3h", alert.value) });
    case "burst":
      return t("msg.anomaly.burst", { ...vars, value: value(metric, alert.value), threshold: value(metric, alert.threshold) });
    default:
      if (!metric || alert.value == null || alert.threshold == null) return t("msg.anomaly.any", vars);
      return t(alert.value < alert.threshold ? "msg.anomaly.low" : "msg.anomaly.high", {
        ...vars, value: value(metric, alert.value), threshold: value(metric, alert.threshold),
      });
  }
}

/** What happened, in the page's language: "可燃气体浓度 63.0 %LEL，高于报警值 50.0 %LEL". */
export function alertText(alert) {
  const rule = rules.get(alert.rule);
  const name = ruleName(alert.rule);
  if (!rule) return t("msg.other", { rule: name });
  const metric = rule.metric;
  switch (rule.type) {
    case "threshold":
      if (alert.value == null) return t("msg.reported");
      return t(`msg.threshold.${rule.direction === "below" ? "below" : "above"}`, {
        metric: metricName(metric),
        value: metricValue(metric, alert.value),
        threshold: metricValue(metric, alert.threshold),
      });
    case "event":
      return t("msg.event", { rule: name });
    case "stuck":
      return t("msg.stuck", { metric: metricName(metric), value: metricValue(metric, alert.value) });
    case "deadman":
      return t("msg.deadman", {
        silence: fmtDuration((alert.value ?? 0) * 1000),
        timeout: fmtDuration((alert.threshold ?? 0) * 1000),
      });
    case "anomaly":
      return anomalyText(rule, alert);
    default:
      return t("msg.other", { rule: name });
  }
}
