/*
 * The details panel: about and topic, notification controls, members, leave.
 */

import { $, cls, h } from "./dom.js";
import { fmtFull, toDate } from "./util.js";
import { toast } from "./toast.js";
import { api } from "./api.js";
import { promptDialog } from "./prompts.js";
import { canEditTopic, canPost, isConv, isDeactivated, mergeChannel, Panel, S, userName, V } from "./state.js";
import { appTag, avatar, deactivatedTag, presenceDot, updatePresenceSubSoon } from "./presence.js";
import { renderSidebarSoon } from "./sidebar.js";
import { renderHeader } from "./channel-header.js";
import { ensureChannelMembers, ensureUsers, loadWsMembers, pickable } from "./users.js";
import { leaveChannel } from "./channels.js";
import { startConversation } from "./new-conversation.js";

export async function editTopic() {
  const ch = S.channels.get(V.channelId);
  if (!canEditTopic(ch)) return;
  const topic = await promptDialog("Edit topic", "Topic", ch.topic || "", { maxlength: 250, ok: "Save topic" });
  if (topic == null || topic === ch.topic) return;
  try {
    const v = await api("PATCH", `/channels/${ch.id}`, { topic });
    mergeChannel(v);
    renderHeader();
    if (Panel.mode === "details") renderDetails();
  } catch { /* toast */ }
}

export function notifyControls(ch, idPrefix) {
  const m = ch.membership;
  const level = h("select", { id: `${idPrefix}-level`, "data-testid": "notify-level" },
    ...[["default", isConv(ch) ? "Default (every message)" : "Default (mentions)"], ["all", "Every message"], ["mentions", "Mentions only"], ["none", "Nothing"]]
      .map(([v, label]) => h("option", { value: v, selected: m.notify_level === v }, label)));
  level.value = m.notify_level || "default";
  level.addEventListener("change", () => setNotify(ch.id, { notify_level: level.value }));
  const mute = h("input", { type: "checkbox", id: `${idPrefix}-mute`, checked: !!m.muted, "data-testid": "mute-toggle" });
  mute.addEventListener("change", () => setNotify(ch.id, { muted: mute.checked }));
  return h("div", { class: "notify-controls" },
    h("label", { class: "field" }, h("span", null, "Notify me about"), level),
    h("label", { class: "check" }, mute, h("span", null, "Mute — no badge for new messages")));
}

export async function setNotify(chId, patch) {
  try {
    await api("PATCH", `/channels/${chId}/notifications`, patch);
  } catch { return; }
  const ch = S.channels.get(chId);
  if (ch && ch.membership) Object.assign(ch.membership, patch);
  renderSidebarSoon();
  if (chId === V.channelId) renderHeader();
  toast("Notification preference saved.");
}

function userRow(uid, extra) {
  const u = S.users.get(uid) || { id: uid, display_name: userName(uid), username: "" };
  const st = u.status;
  return h("li", { class: cls("member-row", u.deactivated && "deactivated"), "data-user-id": uid, "data-testid": "member" },
    h("span", { class: "avatar-wrap" }, avatar(uid, u.display_name, "sm"), u.deactivated ? null : presenceDot(uid)),
    h("span", { class: "member-text" },
      h("span", { class: "member-name" }, u.display_name, uid === S.me.id ? h("span", { class: "tag" }, "you") : null, appTag(uid), deactivatedTag(uid)),
      h("span", { class: "member-sub" }, [u.username ? `@${u.username}` : "", st ? `${st.emoji || ""} ${st.text || ""}`.trim() : ""].filter(Boolean).join(" · "))),
    extra || null);
}

export async function renderDetails() {
  const ch = S.channels.get(V.channelId);
  const box = $("#details-body");
  if (!ch) { box.replaceChildren(); return; }
  const parts = [];
  if (!isConv(ch)) {
    parts.push(h("section", { class: "detail-section" },
      h("h3", null, "About"),
      h("dl", { class: "detail-list" },
        h("dt", null, "Topic"), h("dd", null, ch.topic || "No topic set.",
          canEditTopic(ch) ? h("button", { type: "button", class: "link-btn", onclick: editTopic }, "Edit") : null),
        ch.purpose ? [h("dt", null, "Purpose"), h("dd", null, ch.purpose)] : null,
        h("dt", null, "Created"), h("dd", null, fmtFull(toDate(ch.created_at))),
        h("dt", null, "Visibility"), h("dd", null, ch.kind === "private" ? "Private — only members can see it" : "Public — anyone in the workspace can join"))));
  }
  if (ch.membership) parts.push(h("section", { class: "detail-section" }, h("h3", null, "Notifications"), notifyControls(ch, "details")));
  const membersList = h("ul", { class: "member-list", "aria-label": "Members" }, h("li", { class: "muted" }, "Loading members…"));
  const membersHead = h("h3", null, "Members");
  const membersSection = h("section", { class: "detail-section" }, membersHead, membersList);
  parts.push(membersSection);
  if (ch.membership && ch.kind !== "direct") {
    parts.push(h("section", { class: "detail-section" },
      h("button", { type: "button", class: "btn danger-outline", "data-testid": "leave-channel", onclick: () => leaveChannel(ch.id) }, isConv(ch) ? "Leave conversation" : "Leave channel")));
  }
  box.replaceChildren(...parts);
  const ids = isConv(ch) ? (ch.conversation_members || []) : await ensureChannelMembers(ch.id, true);
  if (ch.id !== V.channelId || Panel.mode !== "details") return;
  ensureUsers(ids);
  membersHead.textContent = `Members (${ids.length})`;
  const sorted = ids.slice().sort((a, b) => (a === S.me.id) - (b === S.me.id) || userName(a).localeCompare(userName(b)));
  membersList.replaceChildren(...sorted.map((uid) => userRow(uid, isDeactivated(uid) ? null
    : h("button", { type: "button", class: "btn small", "aria-label": `Message ${userName(uid)}`, onclick: () => startConversation(uid === S.me.id ? [] : [uid]) }, "Message"))));
  if (!isConv(ch) && canPost(ch)) {
    const ws = await loadWsMembers(ch.workspace_id);
    const inCh = new Set(ids);
    const candidates = (ws || []).filter((mv) => pickable(mv) && !mv.deactivated_at && !mv.user.deactivated && !inCh.has(mv.user.id))
      .sort((a, b) => a.user.display_name.localeCompare(b.user.display_name));
    if (candidates.length && ch.id === V.channelId && Panel.mode === "details") {
      const sel = h("select", { id: "add-member-select", "aria-label": "Person to add" },
        h("option", { value: "" }, "Choose someone…"),
        ...candidates.map((mv) => h("option", { value: mv.user.id }, `${mv.user.display_name} (@${mv.user.username})${mv.user.is_bot ? " · app" : ""}`)));
      const form = h("form", { class: "add-member" }, sel, h("button", { type: "submit", class: "btn small primary" }, "Add"));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        if (!sel.value) return;
        try {
          await api("POST", `/channels/${ch.id}/members`, { user_id: sel.value });
          toast(`${userName(sel.value)} was added.`);
          const list = S.chMembers.get(ch.id);
          if (list && !list.includes(sel.value)) list.push(sel.value);
          renderHeader();
          renderDetails();
        } catch { /* toast */ }
      });
      membersSection.append(h("h4", null, "Add people"), form);
    }
  }
  updatePresenceSubSoon();
}
