/*
 * The Integrations page of a workspace (a dialog; markup in app.html). Owners, admins and
 * members see it, guests and bots do not. Tabs: incoming webhooks (members see and manage
 * the ones they made), outgoing webhooks with their delivery logs, slash commands, bots
 * and their tokens, and the workspace's setting for who may
 * create webhooks (the last two for owners and admins).
 */

import { $, fill, h } from "./dom.js";
import { api } from "./api.js";
import { isWsAdmin, S } from "./state.js";
import { toast } from "./toast.js";
import { renderHooksTab } from "./integrations-hooks.js";
import { renderBotsTab } from "./integrations-bots.js";
import { renderOutgoingTab } from "./integrations-outgoing.js";
import { renderCommandsTab } from "./integrations-commands.js";

const currentWs = () => S.workspaces.find((w) => w.id === S.wsId) || null;

export function canSeeIntegrations() {
  const ws = currentWs();
  return !!ws && ["owner", "admin", "member"].includes(ws.my_role);
}

/** Show the sidebar's "Integrations" button only to those who may see the page. */
export function renderIntegrationsButton() {
  $("#integrations-btn").hidden = !canSeeIntegrations();
}

function mergeWorkspace(v) {
  const i = S.workspaces.findIndex((w) => w.id === v.id);
  if (i >= 0) S.workspaces[i] = { ...S.workspaces[i], ...v };
}

function renderSettingsTab(panel, ctx) {
  const box = h("input", { type: "checkbox", checked: !!ctx.ws.members_create_hooks, "data-testid": "members-create-hooks" });
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      const v = await api("PATCH", `/workspaces/${ctx.wsId}/settings`, { members_create_hooks: box.checked });
      mergeWorkspace(v);
      ctx.ws = currentWs() || ctx.ws;
      toast(v.members_create_hooks ? "Members may now create incoming webhooks." : "Only admins may create incoming webhooks now.");
    } catch {
      box.checked = !box.checked;
    }
    box.disabled = false;
  });
  fill(panel, h("section", { class: "int-section" },
    h("h3", null, "Incoming webhooks"),
    h("label", { class: "check" }, box, h("span", null, "Members may create incoming webhooks")),
    h("p", { class: "hint" }, "Incoming ones in the channels they can post in, outgoing ones for channels they are in (only owners and admins subscribe every public channel). Owners and admins always may. People manage the webhooks they made; owners and admins manage all of them.")));
}

const TABS = [
  { id: "hooks", label: "Incoming webhooks", render: renderHooksTab, adminOnly: false },
  { id: "outgoing", label: "Outgoing webhooks", render: renderOutgoingTab, adminOnly: false },
  { id: "commands", label: "Slash commands", render: renderCommandsTab, adminOnly: true },
  { id: "bots", label: "Bots", render: renderBotsTab, adminOnly: true },
  { id: "settings", label: "Settings", render: renderSettingsTab, adminOnly: true },
];

const I = { tab: "hooks", token: 0 };

function tabsFor(admin) { return TABS.filter((t) => admin || !t.adminOnly); }

function showTab(id) {
  const ws = currentWs();
  if (!ws) return;
  const admin = isWsAdmin(ws.id);
  const tabs = tabsFor(admin);
  I.tab = tabs.some((t) => t.id === id) ? id : tabs[0].id;
  const token = ++I.token;
  const list = $("#integrations-tabs");
  list.hidden = tabs.length < 2;
  fill(list, tabs.map((t) => {
    const on = t.id === I.tab;
    return h("button", {
      type: "button", role: "tab", id: `int-tab-${t.id}`, class: "tab", "aria-selected": on ? "true" : "false",
      "aria-controls": "integrations-body", tabindex: on ? null : "-1", "data-testid": `tab-${t.id}`,
      onclick: () => { if (I.tab !== t.id) showTab(t.id); },
    }, t.label);
  }));
  const panel = $("#integrations-body");
  if (tabs.length > 1) {
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", `int-tab-${I.tab}`);
  } else {
    panel.removeAttribute("role");
    panel.removeAttribute("aria-labelledby");
  }
  const ctx = { wsId: ws.id, ws, admin, live: () => token === I.token && $("#integrations-dialog").open };
  tabs.find((t) => t.id === I.tab).render(panel, ctx);
}

export async function openIntegrations() {
  if (!canSeeIntegrations()) return;
  const wsId = S.wsId;
  $("#integrations-tabs").replaceChildren();
  fill($("#integrations-body"), h("p", { class: "muted" }, "Loading…"));
  $("#integrations-dialog").showModal();
  // Whether members may create webhooks can have changed since this page loaded.
  try {
    mergeWorkspace(await api("GET", `/workspaces/${wsId}`, undefined, { quiet: true }));
  } catch { /* the copy we have will do */ }
  if (S.wsId === wsId && $("#integrations-dialog").open) showTab("hooks");
}

export function bindIntegrations() {
  $("#integrations-btn").addEventListener("click", openIntegrations);
  $("#integrations-tabs").addEventListener("keydown", (e) => {
    if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(e.key)) return;
    const tabs = tabsFor(isWsAdmin(S.wsId));
    const i = tabs.findIndex((t) => t.id === I.tab);
    const j = e.key === "Home" ? 0 : e.key === "End" ? tabs.length - 1 : (i + (e.key === "ArrowRight" ? 1 : -1) + tabs.length) % tabs.length;
    e.preventDefault();
    showTab(tabs[j].id);
    $(`#int-tab-${tabs[j].id}`).focus();
  });
  $("#integrations-dialog").addEventListener("close", () => { I.token++; });
}
