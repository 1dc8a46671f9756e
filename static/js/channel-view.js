/*
 * The channel view: open a conversation, page through its history, jump to unread or latest.
 */

import { PAGE_SIZE } from "./constants.js";
import { $, h } from "./dom.js";
import { api } from "./api.js";
import {
  channelLabel, convOthers, defaultChannel, Edit, hold, isConv, mainComposer, Panel, release, S, T, V,
} from "./state.js";
import { avatar } from "./presence.js";
import { channelIcon, renderSidebar } from "./sidebar.js";
import { renderHeader } from "./channel-header.js";
import { ensureChannelMembers } from "./users.js";
import { renderTyping } from "./typing.js";
import { cancelEdit } from "./message-actions.js";
import { closePanel, refreshPanel } from "./panel.js";
import { go, rememberOpen } from "./nav.js";
import { renderComposerState } from "./channels.js";
import { maybeMarkRead, resumeReading, updateJumpButtons } from "./unread.js";

/**
 * Shows a conversation. opts: aroundId (message id), aroundSeq, highlightId.
 * Events that arrive while the page loads are queued and applied after it
 * (idempotently), so nothing committed meanwhile is lost.
 */
export async function openChannelView(chId, opts = {}) {
  const ch = S.channels.get(chId);
  if (!ch) return;
  const switching = V.channelId !== chId;
  $("#empty-state").hidden = true;
  $(".channel-tools").hidden = false;
  if (switching) {
    if (Edit.list === V.list) cancelEdit(false);
    V.channelId = chId;
    V.list.reset(chId);
    const m = ch.membership;
    V.unreadAfter = m && (m.unread_count || 0) > 0 && m.last_read_seq < ch.last_seq ? m.last_read_seq : null;
    V.unreadDismissed = false;
    V.newBelow = false;
    resumeReading();
    if (ch.membership) rememberOpen(ch.workspace_id, chId);
    mainComposer.setTarget(chId, null);
    if (Panel.mode === "details" || Panel.mode === "pins") refreshPanel();
    // A thread belongs to its channel: leaving the channel closes it (one being opened
    // for this channel, e.g. from a search result, has no other channel yet).
    if (Panel.mode === "thread" && T.channelId && T.channelId !== chId) closePanel();
    renderSidebar();
  }
  V.list.unreadAfter = V.unreadAfter;
  V.list.highlightId = opts.highlightId || null;
  renderHeader();
  renderComposerState();
  renderTyping();
  const token = ++V.token;
  V.loading = true;
  V.hasMoreBefore = false;
  V.hasMoreAfter = false;
  renderHistoryTop();
  hold();
  try {
    let q = `limit=${PAGE_SIZE}`;
    if (opts.aroundId) q += `&around_id=${encodeURIComponent(opts.aroundId)}`;
    else if (opts.aroundSeq != null) q += `&around=${opts.aroundSeq}`;
    const page = await api("GET", `/channels/${chId}/messages?${q}`);
    if (token !== V.token) return;
    V.list.setItems(page.messages);
    V.hasMoreBefore = page.has_more_before;
    V.hasMoreAfter = page.has_more_after;
    V.loading = false;
    V.list.stick = true;
    V.list.render();
    if (opts.highlightId) {
      V.list.reveal(opts.highlightId);
    } else if (opts.aroundSeq != null || V.unreadAfter != null) {
      const div = $(".unread-divider", V.list.el);
      if (div && V.list.scroller.scrollHeight > V.list.scroller.clientHeight) {
        V.list.stick = false;
        div.scrollIntoView({ block: "start" });
        V.list.stick = V.list.atBottom();
      }
    }
  } catch (e) {
    if (token === V.token && e.code === "channel_not_found") {
      S.channels.delete(chId);
      const d = defaultChannel(S.wsId);
      if (d && d.id !== chId) go(S.wsId, d.id);
    }
  } finally {
    if (token === V.token) V.loading = false;
    release();
  }
  if (token !== V.token) return;
  renderHistoryTop();
  updateJumpButtons();
  maybeMarkRead();
  ensureChannelMembers(chId).then(() => { if (chId === V.channelId) renderHeader(); });
  fillViewport();
}

/** The top of the history: a spinner, or the conversation's beginning. */
export function renderHistoryTop() {
  const el = $("#history-top");
  const ch = S.channels.get(V.channelId);
  if (!ch) { el.replaceChildren(); return; }
  if (V.loading || V.loadingOlder) {
    el.replaceChildren(h("div", { class: "history-loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading messages…"));
    return;
  }
  if (V.hasMoreBefore) { el.replaceChildren(h("div", { class: "history-more" })); return; }
  if (isConv(ch)) {
    const others = convOthers(ch);
    el.replaceChildren(h("div", { class: "history-intro" },
      h("div", { class: "intro-avatars" }, ...(others.length ? others : [S.me.id]).slice(0, 4).map((id) => avatar(id, null, "lg"))),
      h("h2", null, channelLabel(ch)),
      h("p", null, others.length ? `This is the beginning of your conversation with ${channelLabel(ch)}.` : "This is your space. Draft messages, keep notes, park links.")));
  } else {
    el.replaceChildren(h("div", { class: "history-intro" },
      h("h2", null, channelIcon(ch), ch.name),
      h("p", null, `This is the very beginning of #${ch.name}.`, ch.purpose ? ` ${ch.purpose}` : ""),
      ch.topic ? h("p", { class: "muted" }, `Topic: ${ch.topic}`) : null));
  }
}

async function loadOlder() {
  const first = V.list.items[0];
  if (!first || V.loadingOlder || V.loading) return;
  V.loadingOlder = true;
  const token = V.token;
  renderHistoryTop();
  hold();
  try {
    const page = await api("GET", `/channels/${V.channelId}/messages?before=${first.seq}&limit=${PAGE_SIZE}`);
    if (token !== V.token) return;
    V.list.stick = false;
    for (const m of page.messages) if (!V.list.get(m.id)) V.list.upsert(m);
    V.hasMoreBefore = page.has_more_before;
    V.list.render();
  } catch {
    V.hasMoreBefore = false; // stop retrying on every scroll event; a reload resets it
  } finally {
    V.loadingOlder = false;
    release();
    if (token === V.token) renderHistoryTop();
  }
  fillViewport();
}

async function loadNewer() {
  const items = V.list.items;
  const last = items[items.length - 1];
  if (!last || V.loadingNewer || V.loading) return;
  V.loadingNewer = true;
  const token = V.token;
  hold();
  try {
    const page = await api("GET", `/channels/${V.channelId}/messages?after=${last.seq}&limit=${PAGE_SIZE}`);
    if (token !== V.token) return;
    for (const m of page.messages) V.list.upsert(m);
    V.hasMoreAfter = page.has_more_after;
    V.list.render();
  } catch {
    /* shown as a toast */
  } finally {
    V.loadingNewer = false;
    release();
  }
  updateJumpButtons();
  maybeMarkRead();
}

/** When the history does not fill the view, nothing can scroll: fetch more now. */
function fillViewport() {
  const s = V.list.scroller;
  if (V.channelId && V.hasMoreBefore && !V.loadingOlder && !V.loading && s.scrollHeight <= s.clientHeight + 10) loadOlder();
}

export function onMainScroll() {
  if (!V.channelId) return;
  const s = V.list.scroller;
  if (s.scrollTop < 400 && V.hasMoreBefore) loadOlder();
  if (V.hasMoreAfter && s.scrollHeight - s.scrollTop - s.clientHeight < 400) loadNewer();
  if (V.list.stick) V.newBelow = false;
  maybeMarkRead();
  updateJumpButtons();
}

export async function jumpToUnread() {
  const div = $(".unread-divider", V.list.el);
  V.unreadDismissed = true;
  if (div) {
    V.list.stick = false;
    div.scrollIntoView({ block: "start", behavior: "smooth" });
  } else if (V.unreadAfter != null) {
    await openChannelView(V.channelId, { aroundSeq: V.unreadAfter + 1 });
  }
  updateJumpButtons();
}

export async function jumpToLatest() {
  V.newBelow = false;
  if (V.hasMoreAfter) await openChannelView(V.channelId, {});
  else { V.list.stick = true; V.list.toBottom(); }
  updateJumpButtons();
  maybeMarkRead();
}
