/*
 * Avatars and presence: dots, the presence subscription, my own button in the top bar.
 */

import { PRESENCE_MAX } from "./constants.js";
import { $, $$, cls, fill, h } from "./dom.js";
import { api } from "./api.js";
import { batched, colorIndex, initials } from "./util.js";
import { channelsOf, isConv, isDeactivated, Panel, RT, S, userName, V } from "./state.js";

const PRESENCE_LABEL = { online: "Online", away: "Away", dnd: "Do not disturb", offline: "Offline", unknown: "Status unknown" };

export function presenceDot(uid) {
  const st = S.presence.get(uid) || "unknown";
  return h("span", { class: `presence presence-${st}`, "data-presence-user": uid, role: "img", "aria-label": PRESENCE_LABEL[st], title: PRESENCE_LABEL[st] });
}

export function setPresence(uid, status) {
  if (!uid || !status) return;
  S.presence.set(uid, status);
  if (S.me && uid === S.me.id) {
    S.myStatus = status;
    renderMe();
  }
  for (const el of $$(`.presence[data-presence-user="${CSS.escape(uid)}"]`)) {
    el.className = `presence presence-${status}`;
    el.setAttribute("aria-label", PRESENCE_LABEL[status] || status);
    el.title = PRESENCE_LABEL[status] || status;
  }
}

/** Turns do-not-disturb and/or chosen away on or off (`{dnd}`, `{away}`, or both). */
export async function setChosenPresence(change) {
  const r = await api("PUT", "/me/presence", change);
  Object.assign(S.me, change);
  setPresence(S.me.id, r.status);
}

export function avatar(uid, name, size) {
  const n = name || userName(uid);
  const colour = uid && isDeactivated(uid) ? "avatar-gone" : `avatar-c${colorIndex(uid || n)}`;
  return h("span", { class: cls("avatar", size && `avatar-${size}`, colour), "aria-hidden": "true" }, initials(n));
}

/** The "deactivated" tag beside a deactivated person's name. */
export function deactivatedTag(uid) {
  return isDeactivated(uid) ? h("span", { class: "tag", "data-testid": "deactivated-tag" }, "deactivated") : null;
}

/** The APP badge: what posted or appears here is an integration, not a person. */
export function appBadge() {
  return h("span", { class: "app-badge", "data-testid": "app-badge", title: "An app or integration, not a person" }, "APP");
}

/** The APP badge beside a bot's or a webhook's name wherever a user appears. */
export function appTag(uid) {
  return (S.users.get(uid) || {}).is_bot ? appBadge() : null;
}

/** Which people this socket follows: me, my conversation partners, a visible member list. */
export function updatePresenceSub() {
  if (!RT.connected || !S.me) return;
  const ids = new Set([S.me.id]);
  for (const ch of channelsOf(S.wsId)) if (isConv(ch)) for (const u of ch.conversation_members || []) ids.add(u);
  if (Panel.mode === "details" && V.channelId) for (const u of S.chMembers.get(V.channelId) || []) ids.add(u);
  if ($("#dm-dialog").open) for (const el of $$("#dm-people [data-user-id]")) ids.add(el.dataset.userId);
  const list = [...ids].slice(0, PRESENCE_MAX);
  const key = list.slice().sort().join(",");
  if (key === RT.subKey) return;
  RT.subKey = key;
  RT.send({ type: "presence_sub", user_ids: list });
}
export const updatePresenceSubSoon = batched(updatePresenceSub, 200);

export function renderMe() {
  const btn = $("#me-btn");
  if (!btn || !S.me) return;
  const status = S.me.status;
  fill(btn,
    h("span", { class: "avatar-wrap" }, avatar(S.me.id, S.me.display_name, "sm"), presenceDot(S.me.id)),
    h("span", { class: "me-name" }, S.me.display_name),
    status && status.emoji ? h("span", { class: "me-status", title: status.text || "" }, status.emoji) : null);
  btn.setAttribute("aria-label", `Settings and profile — ${S.me.display_name}${S.myStatus === "dnd" ? " (do not disturb)" : ""}`);
}
