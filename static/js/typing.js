/*
 * Typing indicators: our own typing frames, and who else is typing.
 */

import { TYPING_SEND_MS, TYPING_SHOW_MS } from "./constants.js";
import { $ } from "./dom.js";
import { RT, S, T, userName, V } from "./state.js";
import { ensureUsers } from "./users.js";

export function sendTyping(chId, rootId) {
  const key = `${chId}|${rootId || ""}`;
  const now = Date.now();
  if (now - (RT.typingSent.get(key) || 0) < TYPING_SEND_MS) return;
  RT.typingSent.set(key, now);
  RT.send({ type: "typing", channel_id: chId, thread_root_id: rootId || null });
}

export function onTyping(e) {
  const uid = e.data.user_id;
  if (!uid || uid === S.me.id) return;
  const key = `${e.channel_id}|${e.data.thread_root_id || ""}`;
  let m = S.typing.get(key);
  if (!m) S.typing.set(key, (m = new Map()));
  m.set(uid, Date.now() + TYPING_SHOW_MS);
  ensureUsers([uid]);
  renderTyping();
  if (!typingTimer) typingTimer = setInterval(renderTyping, 1000);
}

let typingTimer = 0;

export function clearTyping(chId, uid) {
  if (!uid) return;
  let changed = false;
  for (const [key, m] of S.typing) if (key.startsWith(`${chId}|`) && m.delete(uid)) changed = true;
  if (changed) renderTyping();
}

function typingText(key) {
  const m = S.typing.get(key);
  if (!m) return "";
  const now = Date.now();
  const names = [];
  for (const [uid, until] of m) { if (until < now) m.delete(uid); else names.push(userName(uid)); }
  if (!m.size) S.typing.delete(key);
  if (!names.length) return "";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return "Several people are typing…";
}

export function renderTyping() {
  const now = Date.now();
  for (const [key, m] of S.typing) {
    for (const [uid, until] of m) if (until < now) m.delete(uid);
    if (!m.size) S.typing.delete(key);
  }
  const main = V.channelId ? typingText(`${V.channelId}|`) : "";
  const thread = T.rootId && T.channelId ? typingText(`${T.channelId}|${T.rootId}`) : "";
  const a = $("#typing");
  const b = $("#thread-typing");
  if (a.textContent !== main) a.textContent = main;
  if (b.textContent !== thread) b.textContent = thread;
  if (!S.typing.size && typingTimer) { clearInterval(typingTimer); typingTimer = 0; }
}
