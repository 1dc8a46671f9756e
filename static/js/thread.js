/*
 * The thread panel: loads a thread and shows its composer (or why it cannot be used).
 */

import { THREAD_PAGE } from "./constants.js";
import { $, h, narrow } from "./dom.js";
import { api } from "./api.js";
import { canPost, channelLabel, Edit, hold, release, S, T, threadComposer } from "./state.js";
import { renderTyping } from "./typing.js";
import { cancelEdit } from "./message-actions.js";
import { closePanel, openPanel } from "./panel.js";
import { findMessage } from "./messages.js";

/** Opens the thread of `rootId` (a reply id also works: the server finds its root). */
export async function openThread(rootId, opts = {}) {
  const token = ++T.token;
  if (Edit.list === T.list) cancelEdit(false);
  T.rootId = rootId;
  T.channelId = null;
  T.list.reset(null, rootId);
  T.list.highlightId = opts.highlightId || null;
  openPanel("thread");
  $("#thread-note").hidden = true;
  $("#panel-sub").textContent = "";
  T.list.el.replaceChildren(h("div", { class: "history-loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading thread…"));
  // The composer belongs to this thread from the start: what is typed while it loads
  // must neither go to the previous thread nor be lost when the thread arrives.
  const known = findMessage(rootId);
  if (known && !known.thread_root_id) {
    threadComposer.setTarget(known.channel_id, known.id);
    $("#thread-composer-slot").hidden = !canPost(S.channels.get(known.channel_id));
  } else {
    threadComposer.setTarget(null, null);
    $("#thread-composer-slot").hidden = true;
  }
  hold();
  try {
    let page = await api("GET", `/messages/${rootId}/thread?limit=${THREAD_PAGE}`);
    if (token !== T.token) return;
    const root = page.root;
    const all = [root, ...page.replies];
    for (let guard = 0; page.has_more && guard < 25; guard++) {
      const last = all[all.length - 1];
      page = await api("GET", `/messages/${root.id}/thread?after=${last.seq}&limit=${THREAD_PAGE}`);
      if (token !== T.token) return;
      all.push(...page.replies);
    }
    T.list.el.replaceChildren();
    T.rootId = root.id;
    T.channelId = root.channel_id;
    T.list.channelId = root.channel_id;
    T.list.rootId = root.id;
    T.list.setItems(all);
    T.list.stick = true;
    T.list.render();
    const ch = S.channels.get(T.channelId);
    $("#panel-sub").textContent = ch ? channelLabel(ch) : "";
    threadComposer.setTarget(T.channelId, T.rootId);
    threadComposer.setPlaceholder("Reply…");
    renderThreadComposerState();
    renderTyping();
    if (opts.highlightId) T.list.reveal(opts.highlightId);
    else if (opts.focus !== false && !narrow()) threadComposer.focus();
  } catch {
    if (token === T.token) closePanel();
  } finally {
    release();
  }
}

export function renderThreadComposerState() {
  const ch = S.channels.get(T.channelId);
  const root = T.list.get(T.rootId);
  const slot = $("#thread-composer-slot");
  const note = $("#thread-note");
  const ok = canPost(ch) && root && !root.deleted;
  slot.hidden = !ok;
  note.hidden = ok || !ch;
  if (!ok && ch) note.textContent = !ch.membership ? "Join the channel to reply." : ch.archived ? "This channel is archived." : "This thread's first message was deleted.";
}
