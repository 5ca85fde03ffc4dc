// Users and crews: the accounts (enable/disable, new account with its role, crew or
// utility) and the crews with their members, notification receivers and open incidents.

import { el, t, toast } from "./common.js";
import { call, failed, field, table } from "./admin-ui.js";

const ROLES = ["admin", "operator", "crew", "utility"];

function toggle(user, reload) {
  const button = el("button", { type: "button", class: "btn small", dataset: { action: user.active ? "disable" : "enable" } },
    t(user.active ? "us.disable" : "us.enable"));
  button.addEventListener("click", async () => {
    try {
      await call("PATCH", `/users/${encodeURIComponent(user.username)}`, { json: { active: !user.active } });
      toast(t("adm.saved"));
      await reload();
    } catch (error) {
      failed(error);
    }
  });
  return button;
}

function createForm(reload) {
  const username = el("input", { name: "username", required: true, maxlength: 64, autocomplete: "off" });
  const role = el("select", { name: "role" }, ROLES.map((r) => el("option", { value: r }, t(`role.${r}`))));
  const crew = el("input", { name: "crew_id", placeholder: "crew-02" });
  const utility = el("input", { name: "utility_id", placeholder: "gas-huarun" });
  const password = el("input", { name: "password", type: "password", autocomplete: "new-password", minlength: 12 });
  const submit = el("button", { type: "submit", class: "btn primary" }, t("us.create"));
  const form = el("form", { id: "user-form", class: "form-row" },
    field("us.username", username), field("us.role", role), field("us.crew", crew),
    field("us.utility", utility), field("us.password", password), submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await call("POST", "/users", {
        json: {
          username: username.value.trim(), role: role.value, password: password.value || null,
          crew_id: crew.value.trim() || null, utility_id: utility.value.trim() || null,
        },
      });
      toast(t("adm.saved"));
      form.reset();
      await reload();
    } catch (error) {
      failed(error);
    }
  });
  return form;
}

export async function show(panel) {
  const users = el("div");
  const crews = el("div");
  const reload = async () => {
    const [accounts, crewList] = await Promise.all([call("GET", "/users"), call("GET", "/crews")]);
    users.replaceChildren(table([
      ["us.username", (u) => u.username], ["us.role", (u) => t(`role.${u.role}`)],
      ["us.crew", (u) => u.crew_id || ""], ["us.utility", (u) => u.utility_id || ""],
      ["us.active", (u) => t(u.active ? "adm.yes" : "adm.no")], ["", (u) => toggle(u, reload)],
    ], accounts.map((u) => ({ ...u, id: u.username })), { id: "users" }));
    crews.replaceChildren(table([
      ["us.crew", (c) => c.crew_id], ["us.members", (c) => c.members.join("、") || "—"],
      ["us.receivers", (c) => c.receivers.join("、") || "—"], ["us.incidents", (c) => c.open_incidents],
    ], crewList.map((c) => ({ ...c, id: c.crew_id })), { id: "crews" }));
  };
  panel.append(
    el("section", { class: "card" }, el("h2", {}, t("us.users")), users, el("h3", {}, t("us.create")), createForm(reload)),
    el("section", { class: "card" }, el("h2", {}, t("us.crews")), el("p", { class: "muted small" }, t("us.receivers_hint")), crews),
  );
  await reload();
}
