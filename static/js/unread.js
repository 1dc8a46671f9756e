/*
 * Read state: the read marker of the open conversation, "jump to first unread" and
 * "new messages".
 *
 * Nothing is marked read that the person has not seen: only while the page is
 * visible and focused, and only up to the last message on screen (everything, when
 * the view is at the end).
 */

import { $, pageFocused } from "./dom.js";
import { api } from "./api.js";
import { S, V } from "./state.js";
import { renderSidebarSoon } from "./sidebar.js";
import { refreshChannelSoon } from "./channels.js";

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
  if (!ch || !ch.membership || V.loading || !pageFocused()) return;
  const m = ch.membership;
  if (m.last_read_seq >= ch.last_seq && !m.unread_count && !m.mention_count) return;
  // Decided when the timer fires, on what is on screen then: by that time the person may
  // have switched away or scrolled, and what they never saw stays unread.
  const chId = ch.id;
  clearTimeout(markTimer);
  markTimer = setTimeout(() => {
    if (V.channelId !== chId || V.loading || !pageFocused()) return;
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

export function applyRead(chId, seq) {
  const ch = S.channels.get(chId);
  if (!ch || !ch.membership) return;
  const m = ch.membership;
  if (seq > m.last_read_seq) m.last_read_seq = seq;
  if (m.last_read_seq >= (ch.last_seq || 0)) { m.unread_count = 0; m.mention_count = 0; }
  else refreshChannelSoon(chId);
  renderSidebarSoon();
}
