/*
 * Shared client state: the store (S), the main channel view (V), the thread panel (T),
 * the side panel's mode, the inline edit, the socket (RT) and the two composers;
 * holding events back while a REST snapshot loads; selectors over the store.
 */

import { hooks } from "./hooks.js";

export const S = {
  siteName: "Parley",
  me: null,              // MeView (GET /me)
  myStatus: null,        // my presence: online | away | dnd | offline
  workspaces: [],        // WorkspaceView[]
  wsId: null,            // current workspace
  channels: new Map(),   // id → ChannelView (all workspaces; membership null = preview)
  users: new Map(),      // id → UserView
  wsMembers: new Map(),  // workspace id → { list: MemberView[], promise }
  chMembers: new Map(),  // channel id → user id[] (GET /channels/{id}/members)
  browse: new Map(),     // workspace id → ChannelView[] (public channels, for #autocomplete)
  presence: new Map(),   // user id → status
  pending: new Map(),    // client_msg_id → message being sent (optimistic)
  ephemerals: [],        // answers only I see (slash commands, bots): never stored, gone on reload
  typing: new Map(),     // "channel|root" → Map(user id → expiry ms)
  hold: 0,               // > 0 while a REST snapshot loads: events queue up
  queue: [],
  booted: false,
  viewRev: 0,            // bumped when every rendered message must be rebuilt (names, rights)
};

/** The main channel view. */
export const V = {
  channelId: null, list: null, token: 0, loading: false,
  hasMoreBefore: false, hasMoreAfter: false, loadingOlder: false, loadingNewer: false,
  unreadAfter: null, unreadDismissed: false, newBelow: false,
  readPaused: false,       // "Mark as unread" was used here: nothing is marked read (unread.js)
  resumeOnInteract: false, // a message arrived since: the next interaction ends the pause
};

/** The thread panel. */
export const T = { rootId: null, channelId: null, list: null, token: 0 };

/** The side panel: which view is open (null, "thread", "search", "details", "pins"); panel.js opens and closes it. */
export const Panel = { mode: null };

/** The two composers (main and thread); main.js creates them at boot. */
export let mainComposer = null;
export let threadComposer = null;

export function setComposers(main, thread) {
  mainComposer = main;
  threadComposer = thread;
}

export function hold() { S.hold++; }
export function release() {
  S.hold = Math.max(0, S.hold - 1);
  if (!S.hold && S.booted) hooks.drainEvents();
}

export const isConv = (ch) => !!ch && (ch.kind === "direct" || ch.kind === "group");
export const wsArchived = (wsId) => !!(S.workspaces.find((w) => w.id === wsId) || {}).archived;
export const canPost = (ch) => !!ch && !!ch.membership && !ch.archived && !wsArchived(ch.workspace_id);
export const authorId = (m) => (m && m.author ? m.author.id : null);
const wsRole = (wsId) => (S.workspaces.find((w) => w.id === wsId) || {}).my_role || "member";
export const isWsAdmin = (wsId) => ["admin", "owner"].includes(wsRole(wsId));
export const canManage = (ch) => !!ch && !isConv(ch) && ((ch.membership && ch.membership.role === "admin") || isWsAdmin(ch.workspace_id));
export const canEditTopic = (ch) => canPost(ch) && !isConv(ch);
export const channelsOf = (wsId) => [...S.channels.values()].filter((c) => c.workspace_id === wsId && c.membership);
export const hashFor = (wsId, chId) => (chId ? `#/w/${wsId}/c/${chId}` : `#/w/${wsId}`);

export function userName(id, fallback) {
  if (S.me && id === S.me.id) return S.me.display_name;
  const u = S.users.get(id);
  return (u && u.display_name) || fallback || "Someone";
}

/** Who a message shows as its author: the app's name when an integration posted it. */
export function authorName(m) {
  if (m && m.app && m.app.name) return m.app.name;
  const aid = authorId(m);
  return aid ? userName(aid, m.author.display_name) : "Unknown";
}

/** A deactivated account: shown as such, never offered for a new conversation or an @mention. */
export const isDeactivated = (id) => !!(S.users.get(id) || {}).deactivated;

export function convOthers(ch) { return (ch.conversation_members || []).filter((id) => id !== S.me.id); }

export function channelLabel(ch, withHash = true) {
  if (!ch) return "";
  if (isConv(ch)) {
    const others = convOthers(ch);
    if (!others.length) return `${S.me.display_name} (you)`;
    return others.map((id) => userName(id)).join(", ");
  }
  return (withHash ? "#" : "") + (ch.name || "channel");
}

/** Does the (server-rendered) message mention me, @channel, @here or @everyone? */
export function mentionsMe(m) {
  if (!m || !m.html || !S.me) return false;
  if (m.html.includes(`data-mention="${S.me.username.toLowerCase()}"`)) return true;
  return /data-mention="(channel|here|all|everyone)"/.test(m.html);
}

/** Sidebar badge: mentions for channels, unread messages for conversations. */
export function badgeCount(ch) {
  const m = ch.membership;
  if (!m) return 0;
  if (isConv(ch)) return Math.max(m.unread_count || 0, m.mention_count || 0);
  return m.mention_count || 0;
}
export const isUnread = (ch) => !!ch.membership && ((ch.membership.unread_count || 0) > 0 || (ch.membership.mention_count || 0) > 0);

/** Merges a ChannelView into the store; events without `membership` keep ours. */
export function mergeChannel(v) {
  const old = S.channels.get(v.id);
  if (!old) { S.channels.set(v.id, v); return v; }
  for (const k of Object.keys(v)) {
    if (k === "membership" && !v.membership) continue;
    if (k === "last_seq") { old.last_seq = Math.max(old.last_seq || 0, v.last_seq || 0); continue; }
    if (v[k] !== undefined) old[k] = v[k];
  }
  return old;
}

export function defaultChannel(wsId) {
  const mine = channelsOf(wsId).filter((c) => !c.archived);
  return mine.find((c) => c.kind === "public" && c.name === "general")
    || mine.filter((c) => !isConv(c)).sort((a, b) => (a.name || "").localeCompare(b.name || ""))[0]
    || mine[0] || null;
}

/** Inline editing of one of my messages (Enter saves, Esc cancels); message-actions.js starts and ends it. */
export const Edit = { id: null, list: null, ta: null };

/** The realtime socket (realtime.js drives it); send() does nothing until the server said ready. */
export const RT = {
  sock: null,
  quietSignOutUntil: 0, // a 4001 close before this time (ms) is expected: no bar
  lastPos: null,        // highest durable event position seen (or ready.pos)
  connected: false,     // hello answered with ready
  everConnected: false,
  attempt: 0,
  retryTimer: 0,
  pingTimer: 0,
  pingNonce: 0,
  pingPending: false,
  waiters: [],
  stopped: false,
  subKey: "",
  resyncPending: false,
  typingSent: new Map(),
  activityAt: 0,
  send(obj) {
    if (this.connected && this.sock && this.sock.readyState === WebSocket.OPEN) this.sock.send(JSON.stringify(obj));
  },
};
