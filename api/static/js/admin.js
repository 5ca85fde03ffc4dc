// The administration page (/admin, administrators): maintenance windows, set-points,
// rule parameters, users and crews, the device registry, the audit log. One tab at a
// time; each tab module builds its panel from the API (`show(panel)`), again on a
// language switch. The tab is kept in the URL's hash.

import "./admin-i18n.js";
import { applyI18n, el, lang, loadLabels, logout, requireLogin, setLang, t } from "./common.js";
import { show as showAudit } from "./admin-audit.js";
import { show as showMaintenance } from "./admin-maintenance.js";
import { show as showRegistry } from "./admin-registry.js";
import { show as showRules } from "./admin-rules.js";
import { show as showSetpoints } from "./admin-setpoints.js";
import { show as showUsers } from "./admin-users.js";
import { failed } from "./admin-ui.js";

const TABS = {
  maintenance: showMaintenance,
  setpoints: showSetpoints,
  rules: showRules,
  users: showUsers,
  registry: showRegistry,
  audit: showAudit,
};
const $ = (id) => document.getElementById(id);
let current = TABS[location.hash.slice(1)] ? location.hash.slice(1) : "maintenance";

function renderTabs() {
  $("tabs").replaceChildren(...Object.keys(TABS).map((name) => {
    const button = el("button", {
      type: "button", role: "tab", class: `tab${name === current ? " on" : ""}`,
      "aria-selected": String(name === current), dataset: { tab: name },
    }, t(`adm.tab.${name}`));
    button.addEventListener("click", () => open(name));
    return button;
  }));
}

async function open(name) {
  current = name;
  history.replaceState(null, "", `#${name}`);
  renderTabs();
  const panel = $("panel");
  panel.dataset.tab = name;
  panel.replaceChildren();
  try {
    await TABS[name](panel);
  } catch (error) {
    failed(error);
  }
}

async function start() {
  await loadLabels();
  applyI18n();
  const account = await requireLogin();
  $("who").textContent = `${account.username} · ${t(`role.${account.role}`)}`;
  $("logout").addEventListener("click", logout);
  $("lang").addEventListener("click", () => {
    setLang(lang === "zh-CN" ? "en" : "zh-CN");
    $("who").textContent = `${account.username} · ${t(`role.${account.role}`)}`;
    open(current);
  });
  if (account.role !== "admin") {
    $("panel").replaceChildren(el("p", { class: "denied" }, t("adm.denied")));
    document.body.classList.add("ready");
    return;
  }
  await open(current);
  document.body.classList.add("ready");
}

start();
