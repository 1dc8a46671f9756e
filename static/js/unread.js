/*
 * Read state: the read marker of the open conversation, "jump to first unread" and
 * "new messages", mark as unread, and mark a whole workspace read.
 *
 * Nothing is marked read that the person has not seen: only while the page is
 * visible and focused, and only up to the last message on screen (everything, when
 * the view is at the end). After "Mark as unread" the open conversation stays unread
 * while the person keeps looking at it: until they open another one, or a new
 * message arrives and they interact with the page.
 */

import { $, h, pageFocused } from "./dom.js";
import { icon } from "./icons.js";
import { toast } from "./toast.js";
import { api } from "./api.js";
import { channelsOf, S, V } from "./state.js";
import { renderSidebarSoon } from "./sidebar.js";
import { ensureChannel, refreshChannelSoon } from "./channels.js";

/** "Jump to first unread" and "Jump to recent / new messages" affordances. */
export function updateJumpButtons() {
  const bar = $("#unread-bar");
  let showBar = false;
  if (V.channelId && V.unreadAfter != null && !V.unreadDismissed && !V.loading) {
    const div = $(".unread-divider", V.list.el);
    if (div) showBar = div.getBoundingClientRect().bottom < V.list.scroller.getBoundingClientRect().top;
    else {
      const first = V.list.items[0];
      showBar = !!first && V.hasMoreBefore && first.seq > V.unreadAfter + 1;
    }
  }
  bar.hidden = !showBar;
  const jl = $("#jump-latest");
  const show = !!V.channelId && (V.hasMoreAfter || (V.newBelow && !V.list.stick));
  jl.hidden = !show;
  $("#jump-latest-text").textContent = V.hasMoreAfter ? "Jump to recent messages" : "New messages";
}

/** The seq of the last message of the main list that is on screen (its first lines at least). */
function lastSeenSeq() {
  const view = V.list.scroller.getBoundingClientRect();
  const nodes = V.list.el.querySelectorAll('[data-testid="message"][data-seq]');
  for (let i = nodes.length - 1; i >= 0; i--) {
    const r = nodes[i].getBoundingClientRect();
    if (r.top + Math.min(r.height, 40) <= view.bottom && r.bottom > view.top) return Number(nodes[i].dataset.seq);
  }
  return 0;
}

let markTimer = 0;
/** Marks the open conversation read as far as the person can see it, if they can see it. */
export function maybeMarkRead() {
  const ch = S.channels.get(V.channelId);
  if (!ch || !ch.membership || V.loading || V.readPaused || !pageFocused()) return;
  const m = ch.membership;
  if (m.last_read_seq >= ch.last_seq && !m.unread_count && !m.mention_count) return;
  // Decided when the timer fires, on what is on screen then: by that time the person may
  // have switched away or scrolled, and what they never saw stays unread.
  const chId = ch.id;
  clearTimeout(markTimer);
  markTimer = setTimeout(() => {
    if (V.channelId !== chId || V.loading || V.readPaused || !pageFocused()) return;
    const atEnd = V.list.stick && !V.hasMoreAfter;
    const seq = atEnd ? ch.last_seq || 0 : lastSeenSeq();
    if (seq > m.last_read_seq || (atEnd && (m.unread_count || m.mention_count))) markRead(chId, seq);
  }, 250);
}

async function markRead(chId, seq) {
  const ch = S.channels.get(chId);
  if (!ch || !ch.membership) return;
  const m = ch.membership;
  // Optimistic: the badge goes at once; the answer (or read.updated) confirms.
  m.last_read_seq = Math.max(m.last_read_seq, seq);
  if (m.last_read_seq >= (ch.last_seq || 0)) { m.unread_count = 0; m.mention_count = 0; }
  renderSidebarSoon();
  try {
    const r = await api("POST", `/channels/${chId}/read`, { seq }, { quiet: true });
    applyRead(chId, r.last_read_seq);
  } catch {
    refreshChannelSoon(chId);
  }
}

/**
 * A read marker from the server. Our own answers only move it forward; a read.updated
 * event (fromEvent) may move it back: "Mark as unread" on this or another device. The
 * counts behind the marker then come from the server.
 */
export function applyRead(chId, seq, fromEvent = false) {
  const ch = S.channels.get(chId);
  if (!ch || !ch.membership) return;
  const m = ch.membership;
  if (seq > m.last_read_seq || (fromEvent && seq < m.last_read_seq)) m.last_read_seq = seq;
  if (m.last_read_seq >= (ch.last_seq || 0)) { m.unread_count = 0; m.mention_count = 0; }
  else refreshChannelSoon(chId);
  renderSidebarSoon();
}

/** Makes a message and everything after it unread again, and keeps it so while it is on screen. */
export async function markUnread(msg) {
  const chId = msg.channel_id;
  let r;
  try {
    r = await api("POST", `/channels/${chId}/unread`, { from_seq: msg.seq });
  } catch { return; }
  const ch = S.channels.get(chId);
  if (!ch || !ch.membership) return;
  ch.membership.last_read_seq = r.last_read_seq;
  if (V.channelId === chId) {
    clearTimeout(markTimer);
    V.readPaused = true;
    V.resumeOnInteract = false;
    V.unreadAfter = r.last_read_seq;
    V.unreadDismissed = true; // the person is looking right at it
    V.list.unreadAfter = r.last_read_seq;
    V.list.schedule();
  }
  await ensureChannel(chId, false, true); // the unread and mention counts from here on
  renderSidebarSoon();
  toast("Marked as unread from this message.");
}

/** The open conversation may be marked read again (it was left, or I posted in it). */
export function resumeReading() {
  V.readPaused = false;
  V.resumeOnInteract = false;
}

/** A message arrived in the open conversation: reading resumes at the next interaction. */
export function noteArrival() {
  if (V.readPaused) V.resumeOnInteract = true;
}

/** pointerdown / keydown anywhere: after an arrival, the paused conversation is read again. */
export function onInteraction() {
  if (!V.readPaused || !V.resumeOnInteract) return;
  resumeReading();
  maybeMarkRead();
}

/** Marks every conversation of the current workspace read (Shift+Esc, or the sidebar button). */
export async function markAllRead() {
  const wsId = S.wsId;
  if (!wsId) return;
  try {
    await api("POST", `/workspaces/${wsId}/read`);
  } catch { return; }
  for (const ch of channelsOf(wsId)) {
    const m = ch.membership;
    m.last_read_seq = Math.max(m.last_read_seq, ch.last_seq || 0);
    m.unread_count = 0;
    m.mention_count = 0;
  }
  resumeReading();
  renderSidebarSoon();
  const ws = S.workspaces.find((w) => w.id === wsId);
  toast(`Everything in ${ws ? ws.name : "this workspace"} is marked as read.`);
}

/** The "Mark all as read" button beside the workspace's name. */
export function bindReadControls() {
  $(".ws-head").append(h("button", {
    type: "button", class: "icon-btn small", id: "mark-all-read", "data-testid": "mark-all-read",
    "aria-label": "Mark all as read", title: "Mark all as read (Shift+Esc)", "aria-keyshortcuts": "Shift+Escape",
    onclick: markAllRead,
  }, icon("check-check")));
}
