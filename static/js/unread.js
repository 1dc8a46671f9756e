/*
 * Read state of the open conversation: the read marker, "jump to first unread" and "new messages".
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

let markTimer = 0;
/** Marks the open conversation read when it is visible, focused and scrolled to the end. */
export function maybeMarkRead(force = false) {
  const ch = S.channels.get(V.channelId);
  if (!ch || !ch.membership || V.hasMoreAfter || V.loading) return;
  if (!pageFocused()) return;
  if (!force && !V.list.stick) return;
  const m = ch.membership;
  if (m.last_read_seq >= ch.last_seq && !m.unread_count && !m.mention_count) return;
  // Read up to what is on screen now. By the time the timer fires the person may have
  // switched away, and a message that arrived since was never seen: it stays unread.
  const chId = ch.id;
  const seq = ch.last_seq || 0;
  clearTimeout(markTimer);
  markTimer = setTimeout(() => { if (V.channelId === chId && pageFocused()) markRead(chId, seq); }, 250);
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
