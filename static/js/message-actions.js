/*
 * Message actions: reactions, pins, inline edit, delete (sending: outbox.js).
 */

import { autogrow, h } from "./dom.js";
import { toast, toastError } from "./toast.js";
import { api } from "./api.js";
import { hooks } from "./hooks.js";
import { confirmDialog } from "./prompts.js";
import { authorId, Edit, mainComposer, S, T, threadComposer } from "./state.js";
import { applyMessageUpdate, findMessage, patchMessage, reactionAdd, reactionRemove } from "./messages.js";

function hasMyReaction(id, emoji) {
  const m = findMessage(id);
  return !!m && (m.reactions || []).some((r) => r.emoji === emoji && r.user_ids.includes(S.me.id));
}

export async function addReaction(id, emoji) {
  if (hasMyReaction(id, emoji)) return;
  patchMessage(id, (m) => reactionAdd(m, emoji, S.me.id));
  try {
    await api("POST", `/messages/${id}/reactions`, { emoji });
  } catch {
    patchMessage(id, (m) => reactionRemove(m, emoji, S.me.id));
  }
}

async function removeReaction(id, emoji) {
  patchMessage(id, (m) => reactionRemove(m, emoji, S.me.id));
  try {
    // "+" stays literal: it is safe in a path and actix leaves "%2B" undecoded.
    await api("DELETE", `/messages/${id}/reactions/${encodeURIComponent(emoji).replace(/%2B/g, "+")}`, undefined, { quiet: true });
  } catch (e) {
    if (e.code !== "reaction_not_found") { toastError(e); patchMessage(id, (m) => reactionAdd(m, emoji, S.me.id)); }
  }
}

export function toggleReaction(id, emoji) {
  if (hasMyReaction(id, emoji)) removeReaction(id, emoji); else addReaction(id, emoji);
}

/** Pins or unpins; `pinnedNow` is used when the message is not loaded (pins panel). */
export async function togglePin(id, pinnedNow) {
  const m = findMessage(id);
  if (!m && pinnedNow === undefined) return;
  const pinned = m ? m.pinned : pinnedNow;
  patchMessage(id, (x) => { x.pinned = !pinned; });
  try {
    await api(pinned ? "DELETE" : "POST", `/messages/${id}/pin`, undefined, { quiet: true });
    toast(pinned ? "Message unpinned." : "Message pinned to this conversation.");
  } catch (e) {
    if (!(pinned && e.code === "pin_not_found")) { toastError(e); patchMessage(id, (x) => { x.pinned = pinned; }); }
  }
}

export async function deleteMessage(id) {
  const m = findMessage(id);
  if (!m) return;
  const ok = await confirmDialog("Delete this message? This cannot be undone.", { confirm: "Delete", title: "Delete message?" });
  if (!ok) return;
  try {
    await api("DELETE", `/messages/${id}`);
    hooks.onMessageDeleted({ id, channel_id: m.channel_id, seq: m.seq, thread_root_id: m.thread_root_id });
  } catch { /* toast */ }
}

export function editBox() {
  return h("div", { class: "msg-edit" }, Edit.ta,
    h("div", { class: "msg-edit-hint" }, "Escape to ",
      h("button", { type: "button", class: "link-btn", onclick: () => cancelEdit() }, "cancel"), " · Enter to ",
      h("button", { type: "button", class: "link-btn", onclick: () => saveEdit() }, "save")));
}

export function startEdit(m, list) {
  if (!m || m.deleted || authorId(m) !== S.me.id) return;
  if (Edit.id) cancelEdit(false);
  const ta = h("textarea", { class: "edit-input", rows: "1", "aria-label": "Edit message", "data-testid": "edit-input", maxlength: "16000" });
  ta.value = m.text;
  ta.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); saveEdit(); }
    else if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); cancelEdit(); }
  });
  ta.addEventListener("input", () => autogrow(ta));
  Edit.id = m.id;
  Edit.list = list;
  Edit.ta = ta;
  list.touch(m.id);
  list.render();
  ta.focus();
  ta.setSelectionRange(ta.value.length, ta.value.length);
  autogrow(ta);
  ta.scrollIntoView({ block: "nearest" });
}

export function cancelEdit(refocus = true) {
  const { id, list } = Edit;
  if (!id) return;
  Edit.id = null;
  Edit.list = null;
  Edit.ta = null;
  list.touch(id);
  if (refocus) (list === T.list ? threadComposer : mainComposer).focus();
}

async function saveEdit() {
  const { id, list, ta } = Edit;
  const m = list && list.get(id);
  if (!m || !ta) { cancelEdit(); return; }
  const text = ta.value;
  if (text === m.text) { cancelEdit(); return; }
  if (!text.trim() && !(m.files && m.files.length)) {
    cancelEdit();
    deleteMessage(id);
    return;
  }
  ta.disabled = true;
  try {
    const v = await api("PATCH", `/messages/${id}`, { text });
    if (Edit.id === id) { Edit.id = null; Edit.list = null; Edit.ta = null; }
    applyMessageUpdate(v);
    list.touch(id);
    (list === T.list ? threadComposer : mainComposer).focus();
  } catch {
    ta.disabled = false;
    ta.focus();
  }
}

/** The last message of mine in a list that I may edit (Up arrow in an empty composer). */
export function lastOwnMessage(list) {
  for (let i = list.items.length - 1; i >= 0; i--) {
    const m = list.items[i];
    if (!list.isShown(m) || m.deleted) continue;
    if (authorId(m) === S.me.id) return m;
  }
  return null;
}
