/*
 * The new-message dialog, and starting a direct or group conversation.
 */

import { MAX_CONVERSATION } from "./constants.js";
import { $, $$, cls, h } from "./dom.js";
import { icon } from "./icons.js";
import { toast } from "./toast.js";
import { api } from "./api.js";
import { mergeChannel, S, userName } from "./state.js";
import { appTag, avatar, deactivatedTag, presenceDot, updatePresenceSubSoon } from "./presence.js";
import { renderSidebar } from "./sidebar.js";
import { ensureUsers, loadWsMembers, pickable } from "./users.js";
import { go } from "./nav.js";

const DM = { selected: [] };

export async function openNewConversation() {
  if (!S.wsId) return;
  DM.selected = [];
  $("#dm-filter").value = "";
  $("#dm-error").hidden = true;
  $("#dm-people").replaceChildren(h("li", { class: "muted pad" }, "Loading people…"));
  renderDmChips();
  $("#dm-dialog").showModal();
  $("#dm-filter").focus();
  await loadWsMembers(S.wsId);
  renderDmList();
}

function renderDmChips() {
  $("#dm-chips").replaceChildren(...DM.selected.map((id) => h("span", { class: "chip" }, userName(id),
    h("button", { type: "button", class: "chip-x", "aria-label": `Remove ${userName(id)}`, onclick: () => { DM.selected = DM.selected.filter((x) => x !== id); renderDmChips(); renderDmList(); } }, icon("x")))));
  $("#dm-start").disabled = !DM.selected.length;
  $("#dm-start").textContent = DM.selected.length > 1 ? "Start group conversation" : "Start conversation";
}

function renderDmList() {
  const ws = S.wsMembers.get(S.wsId);
  const q = $("#dm-filter").value.trim().toLowerCase();
  const people = ((ws && ws.list) || [])
    .filter((mv) => pickable(mv) && !mv.deactivated_at && mv.user.id !== S.me.id)
    .map((mv) => mv.user)
    .filter((u) => !q || u.display_name.toLowerCase().includes(q) || u.username.includes(q))
    // Apps come after people; deactivated accounts last, as such, and cannot be chosen.
    .sort((a, b) => (a.deactivated - b.deactivated) || (!!a.is_bot - !!b.is_bot) || a.display_name.localeCompare(b.display_name))
    .slice(0, 200);
  const rows = people.map((u) => {
    const checked = DM.selected.includes(u.id);
    const box = h("input", {
      type: "checkbox", value: u.id, checked, disabled: u.deactivated,
      "aria-label": `${u.display_name} (@${u.username})${u.deactivated ? ", deactivated" : ""}`,
    });
    box.addEventListener("change", () => {
      if (box.checked) {
        if (DM.selected.length >= MAX_CONVERSATION) { box.checked = false; toast(`A group conversation has at most ${MAX_CONVERSATION + 1} people.`, "error"); return; }
        DM.selected.push(u.id);
      } else DM.selected = DM.selected.filter((x) => x !== u.id);
      renderDmChips();
    });
    return h("li", { class: cls(u.deactivated && "deactivated"), "data-user-id": u.id, "data-testid": "person" },
      h("label", { class: "pick-row" }, box,
        h("span", { class: "avatar-wrap" }, avatar(u.id, u.display_name, "sm"), u.deactivated ? null : presenceDot(u.id)),
        h("span", { class: "member-text" }, h("span", { class: "member-name" }, u.display_name, appTag(u.id), deactivatedTag(u.id)), h("span", { class: "member-sub" }, `@${u.username}`))));
  });
  const self = !q || S.me.display_name.toLowerCase().includes(q) || "note to self".includes(q)
    ? [h("li", null, h("button", { type: "button", class: "pick-row as-button", onclick: () => { $("#dm-dialog").close(); startConversation([]); } },
      h("span", { class: "avatar-wrap" }, avatar(S.me.id, S.me.display_name, "sm")),
      h("span", { class: "member-text" }, h("span", { class: "member-name" }, `${S.me.display_name} (you)`), h("span", { class: "member-sub" }, "Notes to self"))))]
    : [];
  $("#dm-people").replaceChildren(...self, ...rows);
  if (!rows.length && !self.length) $("#dm-people").append(h("li", { class: "muted pad" }, "Nobody matches."));
  updatePresenceSubSoon();
}

export function bindNewConversation() {
  $("#dm-filter").addEventListener("input", renderDmList);
  $("#dm-filter").addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") { e.preventDefault(); const first = $("#dm-people input:not(:disabled), #dm-people button"); if (first) first.focus(); }
  });
  $("#dm-people").addEventListener("keydown", (e) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const items = $$("#dm-people input:not(:disabled), #dm-people button.pick-row");
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    const j = i + (e.key === "ArrowDown" ? 1 : -1);
    if (j < 0) $("#dm-filter").focus(); else if (items[j]) items[j].focus();
  });
  $("#dm-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!DM.selected.length) return;
    const ok = await startConversation(DM.selected.slice(), true);
    if (ok) $("#dm-dialog").close();
  });
}

/** Gets or creates the conversation with exactly these people and opens it. */
export async function startConversation(userIds, fromDialog = false) {
  if (!S.wsId) return false;
  try {
    const v = await api("POST", `/workspaces/${S.wsId}/conversations`, { user_ids: userIds.filter((id) => id !== S.me.id) }, { quiet: fromDialog });
    mergeChannel(v);
    ensureUsers(v.conversation_members || []);
    renderSidebar();
    updatePresenceSubSoon();
    go(v.workspace_id, v.id);
    return true;
  } catch (e) {
    if (fromDialog) { $("#dm-error").textContent = e.message; $("#dm-error").hidden = false; }
    return false;
  }
}
