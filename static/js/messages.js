/*
 * Changes to loaded messages, applied to every copy (channel view and thread panel).
 */

import { T, V } from "./state.js";

/** Applies fn to every loaded copy of a message (channel view and thread panel). */
export function patchMessage(id, fn) {
  let found = false;
  for (const list of [V.list, T.list]) {
    const m = list && list.get(id);
    if (m) { fn(m); list.touch(id); found = true; }
  }
  return found;
}

export function findMessage(id) { return (V.list && V.list.get(id)) || (T.list && T.list.get(id)) || null; }

export function refreshPendingViews() {
  V.list.schedule();
  T.list.schedule();
}

export function reactionAdd(m, emoji, uid) {
  if (!m.reactions) m.reactions = [];
  let r = m.reactions.find((x) => x.emoji === emoji);
  if (!r) { r = { emoji, count: 0, user_ids: [] }; m.reactions.push(r); }
  if (!r.user_ids.includes(uid)) { r.user_ids.push(uid); r.count = r.user_ids.length; }
}

export function reactionRemove(m, emoji, uid) {
  const r = (m.reactions || []).find((x) => x.emoji === emoji);
  if (!r) return;
  r.user_ids = r.user_ids.filter((u) => u !== uid);
  r.count = r.user_ids.length;
  if (!r.count) m.reactions = m.reactions.filter((x) => x !== r);
}

/** An edited message (event or PATCH answer); an older copy never replaces a newer one. */
export function applyMessageUpdate(m) {
  for (const list of [V.list, T.list]) {
    const old = list.get(m.id);
    if (!old) continue;
    if (old.edited_at && m.edited_at && m.edited_at < old.edited_at) continue;
    if (old.deleted && !m.deleted) continue;
    list.upsert(m);
  }
}
