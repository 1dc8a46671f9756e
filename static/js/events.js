/*
 * Realtime events: queued while a REST snapshot loads, then applied to the store and the views.
 */

import { pageFocused } from "./dom.js";
import { toast } from "./toast.js";
import { goLogin } from "./api.js";
import { authorId, Edit, isConv, mentionsMe, mergeChannel, Panel, RT, S, T, V } from "./state.js";
import { renderMe, setPresence } from "./presence.js";
import { renderSidebar, renderSidebarSoon } from "./sidebar.js";
import { renderHeader } from "./channel-header.js";
import { ensureUsers, loadWsMembers, rememberUser, renderAllSoon } from "./users.js";
import { clearTyping, onTyping } from "./typing.js";
import {
  applyMessageUpdate, patchMessage, reactionAdd, reactionRemove, refreshPendingViews,
} from "./messages.js";
import { cancelEdit } from "./message-actions.js";
import { renderThreadComposerState } from "./thread.js";
import { go } from "./nav.js";
import {
  ensureChannel, loadWorkspaces, refreshChannelSoon, removeChannel, renderComposerState,
} from "./channels.js";
import { applyRead, maybeMarkRead, noteArrival, resumeReading, updateJumpButtons } from "./unread.js";
import { renderHistoryTop } from "./channel-view.js";
import { loadPinsSoon } from "./pins.js";
import { renderDetails } from "./details.js";
import { maybeNotify } from "./notify.js";
import { addEphemeral } from "./slash.js";

export function drainEvents() {
  while (S.queue.length && !S.hold) {
    const ev = S.queue.shift();
    applyEvent(ev);
  }
}

export function applyEvent(ev) {
  const fn = EVENTS[ev.type];
  if (!fn) return;
  try { fn(ev); } catch (err) { console.error("parley: event", ev.type, err); }
}

const EVENTS = {
  "message.created": (e) => onMessageCreated(e.data, false),
  "message.edited": (e) => applyMessageUpdate(e.data),
  "message.deleted": (e) => onMessageDeleted(e.data),
  "message.ephemeral": (e) => addEphemeral(e.data),
  "thread.updated": (e) => patchMessage(e.data.root_id, (m) => { m.reply_count = e.data.reply_count; m.last_reply_at = e.data.last_reply_at; }),
  "reaction.added": (e) => patchMessage(e.data.message_id, (m) => reactionAdd(m, e.data.emoji, e.data.user_id)),
  "reaction.removed": (e) => patchMessage(e.data.message_id, (m) => reactionRemove(m, e.data.emoji, e.data.user_id)),
  "pin.added": (e) => { patchMessage(e.data.message_id, (m) => { m.pinned = true; }); if (e.channel_id === V.channelId) loadPinsSoon(); },
  "pin.removed": (e) => { patchMessage(e.data.message_id, (m) => { m.pinned = false; }); if (e.channel_id === V.channelId) loadPinsSoon(); },
  "file.created": () => { /* our own upload; the upload answer already has it */ },
  "file.updated": (e) => patchFile(e.data),
  "file.deleted": (e) => removeFileEverywhere(e.data.id, e.data.message_id),
  "channel.created": (e) => onChannelCreated(e.data),
  "channel.updated": (e) => onChannelUpdated(e.data),
  "channel.archived": (e) => setArchived(e.data.channel_id, true),
  "channel.unarchived": (e) => setArchived(e.data.channel_id, false),
  "member.joined": (e) => onMemberJoined(e.data),
  "member.left": (e) => onMemberLeft(e.data),
  "read.updated": (e) => applyRead(e.data.channel_id, e.data.last_read_seq, true),
  "user.updated": (e) => onUserUpdated(e.data),
  "workspace.updated": (e) => onWorkspaceUpdated(e.data),
  "workspace.member_added": (e) => onWorkspaceMemberAdded(e.workspace_id, e.data),
  "workspace.member_removed": (e) => onWorkspaceMemberRemoved(e.workspace_id, e.data),
  "workspace.member_updated": (e) => onWorkspaceMemberAdded(e.workspace_id, e.data),
  "user.deactivated": (e) => {
    if (e.data.user_id === S.me.id) { RT.stopped = true; toast("This account has been deactivated.", "error"); setTimeout(goLogin, 1500); }
  },
  "user.sessions_revoked": () => { /* the socket closes with 4001; rtClosed checks the session */ },
  typing: (e) => onTyping(e),
  "presence.changed": (e) => setPresence(e.data.user_id, e.data.status),
};

/** A new message, from an event or from our own POST (local = true). Idempotent. */
export function onMessageCreated(m, local) {
  const ch = S.channels.get(m.channel_id);
  const mine = authorId(m) === S.me.id;
  if (mine && m.client_msg_id && S.pending.delete(m.client_msg_id)) refreshPendingViews();
  if (ch) {
    const isNew = m.seq > (ch.last_seq || 0);
    if (isNew) { ch.last_seq = m.seq; ch.last_message_at = m.created_at; }
    const mem = ch.membership;
    if (mem) {
      if (mine) {
        // Posting marks the channel read up to the new message (messages/service.rs).
        applyRead(ch.id, m.seq);
        if (V.channelId === ch.id) resumeReading();
      } else if (isNew && !local) {
        // Arriving in the conversation on screen: it is read at once (maybeMarkRead below).
        const onScreen = V.channelId === ch.id && pageFocused() && V.list.stick && !V.hasMoreAfter && !V.loading && !V.readPaused;
        if (V.channelId === ch.id) noteArrival();
        if (!onScreen) {
          if (!m.thread_root_id) mem.unread_count = (mem.unread_count || 0) + 1;
          if (mentionsMe(m)) mem.mention_count = (mem.mention_count || 0) + 1;
          maybeNotify(ch, m);
        }
      }
    }
    renderSidebarSoon();
  } else if (!local) {
    // A conversation we were just added to may still be loading (channel.created →
    // GET /channels/{id}). Once it is in: an answer from before this message has not
    // counted it, so count it now; an answer that did count it still owes the notification.
    ensureChannel(m.channel_id).then((c) => {
      if (!c || !c.membership) return;
      if (m.seq > (c.last_seq || 0)) onMessageCreated(m, false);
      else if (!mine) maybeNotify(c, m);
    });
  }
  if (V.channelId === m.channel_id && !m.thread_root_id) {
    if (V.list.get(m.id) || !V.hasMoreAfter) {
      const wasStuck = V.list.stick;
      const added = V.list.upsert(m);
      if (added && !mine && !wasStuck) { V.newBelow = true; updateJumpButtons(); }
    } else {
      updateJumpButtons();
    }
  }
  if (T.rootId && m.thread_root_id === T.rootId) T.list.upsert(m);
  clearTyping(m.channel_id, authorId(m));
  if (V.channelId === m.channel_id) maybeMarkRead();
}

export function onMessageDeleted(d) {
  patchMessage(d.id, (m) => {
    m.deleted = true;
    m.text = "";
    m.html = "";
    m.reactions = [];
    m.files = [];
    m.pinned = false;
  });
  if (Edit.id === d.id) cancelEdit(false);
  if (T.rootId === d.id) renderThreadComposerState();
  const ch = S.channels.get(d.channel_id);
  if (ch && ch.membership && d.seq > ch.membership.last_read_seq) refreshChannelSoon(ch.id);
  if (d.channel_id === V.channelId) loadPinsSoon();
}

function patchFile(f) {
  for (const list of [V.list, T.list]) {
    for (const m of list.items) {
      const i = (m.files || []).findIndex((x) => x.id === f.id);
      if (i >= 0) { m.files[i] = f; list.touch(m.id); }
    }
  }
}

function removeFileEverywhere(fileId, messageId) {
  const strip = (m) => { m.files = (m.files || []).filter((x) => x.id !== fileId); };
  if (messageId) patchMessage(messageId, strip);
  else for (const list of [V.list, T.list]) for (const m of list.items) if ((m.files || []).some((x) => x.id === fileId)) { strip(m); list.touch(m.id); }
}

function onChannelCreated(v) {
  const have = S.channels.get(v.id);
  if (have && have.membership) { mergeChannel(v); renderSidebarSoon(); return; }
  ensureChannel(v.id, false, true);
  S.browse.delete(v.workspace_id);
}

function onChannelUpdated(v) {
  const have = S.channels.get(v.id);
  S.browse.delete(v.workspace_id);
  if (!have) return;
  mergeChannel(v);
  renderSidebarSoon();
  if (v.id === V.channelId) { renderHeader(); renderHistoryTop(); if (Panel.mode === "details") renderDetails(); }
}

/** Renamed, archived or unarchived, or its settings changed; my own role stays mine. */
function onWorkspaceUpdated(w) {
  const i = S.workspaces.findIndex((x) => x.id === w.id);
  if (i < 0) return;
  S.workspaces[i] = { ...S.workspaces[i], ...w };
  renderSidebar();
  renderHeader();
  renderComposerState();
}

function setArchived(chId, archived) {
  const ch = S.channels.get(chId);
  if (!ch) return;
  ch.archived = archived;
  S.viewRev++;
  renderSidebarSoon();
  if (chId === V.channelId) { renderHeader(); renderComposerState(); V.list.schedule(); }
}

function onMemberJoined({ channel_id: chId, user_id: uid }) {
  if (uid === S.me.id) {
    ensureChannel(chId, false, true).then(() => { if (chId === V.channelId) { S.viewRev++; V.list.schedule(); } });
    return;
  }
  const ch = S.channels.get(chId);
  if (ch) {
    if (isConv(ch)) { ch.conversation_members = ch.conversation_members || []; if (!ch.conversation_members.includes(uid)) ch.conversation_members.push(uid); }
    else if (ch.member_count != null && !S.chMembers.has(chId)) ch.member_count++;
  }
  const ids = S.chMembers.get(chId);
  if (ids && !ids.includes(uid)) ids.push(uid);
  ensureUsers([uid]);
  if (chId === V.channelId) { renderHeader(); if (Panel.mode === "details") renderDetails(); }
}

function onMemberLeft({ channel_id: chId, user_id: uid }) {
  if (uid === S.me.id) { removeChannel(chId); return; }
  const ch = S.channels.get(chId);
  if (ch) {
    if (isConv(ch)) ch.conversation_members = (ch.conversation_members || []).filter((x) => x !== uid);
    else if (ch.member_count != null && !S.chMembers.has(chId)) ch.member_count = Math.max(0, ch.member_count - 1);
  }
  const ids = S.chMembers.get(chId);
  if (ids) S.chMembers.set(chId, ids.filter((x) => x !== uid));
  clearTyping(chId, uid);
  if (chId === V.channelId) { renderHeader(); if (Panel.mode === "details") renderDetails(); }
}

function onUserUpdated(u) {
  rememberUser(u);
  if (u.id === S.me.id) { S.me = Object.assign(S.me, u); renderMe(); }
  for (const entry of S.wsMembers.values()) for (const mv of entry.list || []) if (mv.user.id === u.id) Object.assign(mv.user, u);
  S.viewRev++;
  renderAllSoon();
}

async function onWorkspaceMemberAdded(wsId, { user_id: uid }) {
  if (uid === S.me.id) { await loadWorkspaces(); renderSidebar(); return; }
  const entry = S.wsMembers.get(wsId);
  if (entry) loadWsMembers(wsId, true);
}

function onWorkspaceMemberRemoved(wsId, { user_id: uid }) {
  if (uid === S.me.id) {
    S.workspaces = S.workspaces.filter((w) => w.id !== wsId);
    for (const ch of [...S.channels.values()]) if (ch.workspace_id === wsId) S.channels.delete(ch.id);
    S.wsMembers.delete(wsId);
    if (S.wsId === wsId) {
      toast("You were removed from this workspace.", "error");
      S.wsId = null;
      V.channelId = null;
      go(S.workspaces.length ? S.workspaces[0].id : "", null);
    }
    renderSidebarSoon();
    return;
  }
  const entry = S.wsMembers.get(wsId);
  if (entry && entry.list) entry.list = entry.list.filter((mv) => mv.user.id !== uid);
}
