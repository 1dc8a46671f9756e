/*
 * Parley web client — a dependency-free single-file chat client.
 *
 * Loaded by templates/app.html (in <head>, so the theme applies before first paint;
 * everything else starts on DOMContentLoaded). Talks to the JSON API under /api/v1
 * and to the realtime WebSocket /api/v1/ws (docs/realtime.md).
 *
 * Safety rule for this file: user text only ever reaches the DOM as text nodes
 * (h(), textContent). The only HTML inserted with innerHTML is what the server
 * sanitised: MessageView.html (src/messages/view.rs) and SearchResult.snippet
 * (src/search/service.rs). Never build HTML strings here.
 *
 * Sections:
 *   1. Constants           10. Message rendering          19. Settings dialog
 *   2. Small utilities      11. Message list (MessageList)  20. Other dialogs
 *   3. Icons                12. Channel view                21. Quick switcher
 *   4. Theme                13. Message actions             22. Realtime (WebSocket)
 *   5. API & uploads        14. Emoji picker                23. Event handlers
 *   6. Toasts               15. Composer                    24. Notifications & title
 *   7. State                16. Thread panel                25. Keyboard, focus, responsive
 *   8. Users & presence     17. Side panel, search          26. Boot
 *   9. Sidebar & routing    18. Details & pins panels
 */
"use strict";
(() => {

// ─────────────────────────────────────────────────────────────────────────────
// 1. Constants
// ─────────────────────────────────────────────────────────────────────────────

const API = "/api/v1";
const PAGE_SIZE = 50;               // history page (server default 50, max 200)
const THREAD_PAGE = 200;            // thread replies per request (server max 200)
const GROUP_MS = 5 * 60 * 1000;     // consecutive messages by one author group within this
const TYPING_SEND_MS = 3000;        // send at most one typing frame per conversation per 3 s
const TYPING_SHOW_MS = 6000;        // show "X is typing…" this long after the last frame
const ACTIVITY_MS = 60 * 1000;      // tell the server we are active at most once a minute
const PING_MS = 25 * 1000;          // our own ping; no pong by the next one → reconnect
const BOOT_WS_WAIT_MS = 5000;       // how long boot waits for the socket before loading anyway
const MAX_FILES = 10;               // files per message (docs/files.md)
const MAX_CONVERSATION = 8;         // other people in a group conversation (GROUP_MAX 9 incl. me)
const PRESENCE_MAX = 500;           // presence_sub limit
const LS_THEME = "parley.theme";
const LS_NOTIFY = "parley.notifications";
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
const BROADCAST_MENTIONS = new Set(["channel", "here", "all", "everyone"]);

/** The emoji picker's choices (each passes the server's validate_emoji). */
const EMOJI = [
  ["👍", "thumbs up"], ["❤️", "heart"], ["😄", "smile"], ["🎉", "party"],
  ["🙏", "thank you"], ["👀", "eyes"], ["🔥", "fire"], ["✅", "done"],
  ["😂", "laughing"], ["😮", "surprised"], ["😢", "sad"], ["🤔", "thinking"],
  ["👏", "clap"], ["🚀", "rocket"], ["💯", "hundred"], ["🙌", "hooray"],
  ["😅", "phew"], ["🤝", "handshake"], ["⭐", "star"], ["💡", "idea"],
  ["☕", "coffee"], ["👎", "thumbs down"], ["❌", "no"], ["😡", "angry"],
];

/** Shortcodes other clients may react with (the server stores them lower-cased). */
const SHORTCODES = {
  thumbsup: "👍", "+1": "👍", thumbsdown: "👎", "-1": "👎", heart: "❤️", smile: "😄",
  smiley: "😃", grin: "😁", tada: "🎉", pray: "🙏", eyes: "👀", fire: "🔥",
  white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", joy: "😂", open_mouth: "😮",
  cry: "😢", rage: "😡", thinking: "🤔", thinking_face: "🤔", clap: "👏", rocket: "🚀",
  100: "💯", raised_hands: "🙌", sweat_smile: "😅", handshake: "🤝", star: "⭐",
  bulb: "💡", coffee: "☕", wave: "👋", ok_hand: "👌", laughing: "😆", wink: "😉",
};

// ─────────────────────────────────────────────────────────────────────────────
// 2. Small utilities
// ─────────────────────────────────────────────────────────────────────────────

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const cls = (...names) => names.filter(Boolean).join(" ");

/**
 * Creates an element. Props: class, text, on* listeners, a few properties
 * (value, checked, disabled, hidden, selected); everything else becomes an
 * attribute. Children: nodes, strings (as text nodes), arrays; null/false skipped.
 */
function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  if (props) {
    for (const k of Object.keys(props)) {
      const v = props[k];
      if (v == null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v);
      else if (k === "value" || k === "checked" || k === "disabled" || k === "hidden" || k === "selected") el[k] = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  appendKids(el, kids);
  return el;
}

/** Replaces an element's children (skipping null/false, unlike replaceChildren). */
function fill(el, ...kids) {
  el.replaceChildren();
  appendKids(el, kids);
  return el;
}

function appendKids(el, kids) {
  for (const k of kids) {
    if (k == null || k === false) continue;
    if (Array.isArray(k)) appendKids(el, k);
    else el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

const store = {
  get(k) { try { return localStorage.getItem(k); } catch { return null; } },
  set(k, v) { try { if (v == null) localStorage.removeItem(k); else localStorage.setItem(k, v); } catch { /* private mode */ } },
};

function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const fmtTimeF = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const fmtFullF = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const fmtDayF = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
const fmtDayYearF = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long", day: "numeric" });
const fmtShortF = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

const toDate = (s) => (s ? new Date(s) : new Date(0));
const fmtTime = (d) => fmtTimeF.format(d);
const fmtFull = (d) => fmtFullF.format(d);
const dayKey = (d) => `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;

function isSameDay(a, b) { return dayKey(a) === dayKey(b); }

function dayLabel(d) {
  const now = new Date();
  if (isSameDay(d, now)) return "Today";
  const y = new Date(now); y.setDate(now.getDate() - 1);
  if (isSameDay(d, y)) return "Yesterday";
  return d.getFullYear() === now.getFullYear() ? fmtDayF.format(d) : fmtDayYearF.format(d);
}

/** "14:05" today, "Yesterday 14:05", "Mar 3 14:05" otherwise. */
function fmtWhen(d) {
  const now = new Date();
  if (isSameDay(d, now)) return fmtTime(d);
  const y = new Date(now); y.setDate(now.getDate() - 1);
  if (isSameDay(d, y)) return `Yesterday ${fmtTime(d)}`;
  if (d.getFullYear() === now.getFullYear()) return `${fmtShortF.format(d)} ${fmtTime(d)}`;
  return fmtFull(d);
}

function fmtSize(n) {
  if (!Number.isFinite(n)) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

function initials(name) {
  const words = String(name || "?").trim().split(/\s+/).filter(Boolean);
  const first = (w) => (Array.from(w)[0] || "").toUpperCase();
  if (!words.length) return "?";
  return words.length === 1 ? first(words[0]) : first(words[0]) + first(words[words.length - 1]);
}

function colorIndex(key) {
  let hsh = 0;
  for (const c of String(key || "")) hsh = (hsh * 31 + c.codePointAt(0)) >>> 0;
  return hsh % 8;
}

function debounce(fn, ms) {
  let t = 0;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

/** Runs fn at most once per `ms`, on the trailing edge; for re-render batching. */
function batched(fn, ms = 30) {
  let t = 0;
  return () => { if (!t) t = setTimeout(() => { t = 0; fn(); }, ms); };
}

/** Fuzzy subsequence score of q in s; -1 when q is not a subsequence. */
function fuzzy(q, s) {
  q = q.toLowerCase(); s = String(s || "").toLowerCase();
  if (!q) return 0;
  const at = s.indexOf(q);
  if (at >= 0) return 1000 - at * 5 + (at === 0 ? 300 : 0) - s.length;
  let score = 0, from = 0, prev = -2;
  for (const c of q) {
    const f = s.indexOf(c, from);
    if (f < 0) return -1;
    score += f === prev + 1 ? 12 : 1;
    if (f === 0 || /[\s\-_.,#@]/.test(s[f - 1])) score += 6;
    prev = f; from = f + 1;
  }
  return score - s.length * 0.2;
}

const narrow = () => window.matchMedia("(max-width: 760px)").matches;
const hasFiles = (e) => !!(e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files"));
const pageFocused = () => document.visibilityState === "visible" && document.hasFocus();
const emojiChar = (e) => SHORTCODES[e] || (/^[a-z0-9_+-]+$/.test(e) ? `:${e}:` : e);

function autogrow(ta) {
  ta.style.height = "auto";
  ta.style.height = `${ta.scrollHeight + 2}px`;
}

// ─────────────────────────────────────────────────────────────────────────────
// 3. Icons (inline SVG built with DOM calls; stroke paths on a 24×24 grid)
// ─────────────────────────────────────────────────────────────────────────────

const SVG_NS = "http://www.w3.org/2000/svg";
const ICONS = {
  menu: "M3 6h18M3 12h18M3 18h18",
  search: "M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16zM21 21l-4.35-4.35",
  x: "M18 6 6 18M6 6l12 12",
  hash: "M4 9h16M4 15h16M10 3 8 21M16 3l-2 18",
  lock: "M6 11h12a2 2 0 0 1 2 2v7a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2zM8 11V7a4 4 0 0 1 8 0v4",
  users: "M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM23 21v-2a4 4 0 0 0-3-3.87M16 3.13a4 4 0 0 1 0 7.75",
  pin: "M9 3h6l-1 7 4 4v2H6v-2l4-4-1-7zM12 16v5",
  smile: "M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM8 14s1.5 2 4 2 4-2 4-2M9 9h.01M15 9h.01",
  plus: "M12 5v14M5 12h14",
  paperclip: "m21.44 11.05-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83l8.49-8.48",
  send: "M22 2 11 13M22 2l-7 20-4-9-9-4 20-7z",
  reply: "M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z",
  edit: "M17 3a2.83 2.83 0 1 1 4 4L7.5 20.5 2 22l1.5-5.5L17 3z",
  trash: "M3 6h18M19 6l-1 14a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2L5 6M10 11v6M14 11v6M9 6V4a1 1 0 0 1 1-1h4a1 1 0 0 1 1 1v2",
  file: "M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8zM14 2v6h6",
  bell: "M18 8A6 6 0 0 0 6 8c0 7-3 9-3 9h18s-3-2-3-9M13.73 21a2 2 0 0 1-3.46 0",
  "bell-off": "M13.73 21a2 2 0 0 1-3.46 0M18.63 13A17.9 17.9 0 0 1 18 8M6.26 6.26A5.86 5.86 0 0 0 6 8c0 7-3 9-3 9h14M18 8a6 6 0 0 0-9.33-5M1 1l22 22",
  "arrow-down": "M12 5v14M19 12l-7 7-7-7",
  command: "M18 3a3 3 0 0 0-3 3v12a3 3 0 1 0 3-3H6a3 3 0 1 0 3 3V6a3 3 0 1 0-3 3h12a3 3 0 0 0 0-6z",
  download: "M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4M7 10l5 5 5-5M12 15V3",
  "smile-plus": "M22 11v1a10 10 0 1 1-9-10M8 14s1.5 2 4 2 4-2 4-2M9 9h.01M15 9h.01M16 5h6M19 2v6",
  check: "M20 6 9 17l-5-5",
  message: "M21 11.5a8.38 8.38 0 0 1-.9 3.8 8.5 8.5 0 0 1-7.6 4.7 8.38 8.38 0 0 1-3.8-.9L3 21l1.9-5.7a8.38 8.38 0 0 1-.9-3.8 8.5 8.5 0 0 1 4.7-7.6 8.38 8.38 0 0 1 3.8-.9h.5a8.48 8.48 0 0 1 8 8v.5z",
};

function icon(name, extra) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", extra ? `icon ${extra}` : "icon");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const p = document.createElementNS(SVG_NS, "path");
  p.setAttribute("d", ICONS[name] || ICONS.x);
  svg.append(p);
  return svg;
}

/** Fills every element carrying data-icon="name" (templates) with its icon. */
function hydrateIcons(root) {
  for (const el of $$("[data-icon]", root)) {
    if (el.querySelector(":scope > svg.icon")) continue;
    el.prepend(icon(el.dataset.icon));
  }
}

// ─────────────────────────────────────────────────────────────────────────────
// 4. Theme — system default, light or dark; stored per browser
// ─────────────────────────────────────────────────────────────────────────────

function applyTheme(t) {
  const root = document.documentElement;
  if (t === "light" || t === "dark") root.dataset.theme = t;
  else delete root.dataset.theme;
}
applyTheme(store.get(LS_THEME)); // runs before first paint (script is in <head>)

// ─────────────────────────────────────────────────────────────────────────────
// 5. API & uploads
// ─────────────────────────────────────────────────────────────────────────────

class ApiError extends Error {
  constructor(status, code, message, field, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
    this.retryAfter = retryAfter || null;
  }
}

let leaving = false;
function goLogin() {
  if (leaving) return;
  leaving = true;
  location.assign("/login");
}

/**
 * One JSON request under /api/v1. Errors become ApiError (and a toast unless
 * opts.quiet); a 401 sends the browser to /login. Cookie auth: same-origin fetch
 * sends the session cookie and the browser adds the Origin header the server's
 * CSRF check wants on unsafe methods.
 */
async function api(method, path, body, opts = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API + path, init);
  } catch {
    const e = new ApiError(0, "network_error", "Could not reach the server. Check your connection.");
    if (!opts.quiet) toastError(e);
    throw e;
  }
  if (res.status === 401) {
    goLogin();
    throw new ApiError(401, "unauthenticated", "Signed out");
  }
  let data = null;
  if (res.status !== 204) {
    const text = await res.text();
    if (text) { try { data = JSON.parse(text); } catch { data = null; } }
  }
  if (!res.ok) {
    const d = (data && data.error) || {};
    const e = new ApiError(res.status, d.code || `http_${res.status}`, d.message || res.statusText || "Request failed",
      d.field, res.headers.get("Retry-After"));
    if (!opts.quiet) toastError(e);
    throw e;
  }
  return data;
}

/** Multipart upload with progress (XMLHttpRequest: fetch has no upload progress). */
function uploadFile(channelId, file, name, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("POST", `${API}/channels/${encodeURIComponent(channelId)}/files`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable && e.total) onProgress(e.loaded / e.total); });
    xhr.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status === 401) { goLogin(); reject(new ApiError(401, "unauthenticated", "Signed out")); return; }
      if (xhr.status >= 200 && xhr.status < 300 && data) { resolve(data); return; }
      const d = (data && data.error) || {};
      reject(new ApiError(xhr.status, d.code || `http_${xhr.status}`, d.message || "Upload failed", d.field));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network_error", "Upload failed: network error")));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted", "Upload cancelled")));
    const fd = new FormData();
    fd.append("file", file, name);
    xhr.send(fd);
  });
  return { xhr, promise };
}

// ─────────────────────────────────────────────────────────────────────────────
// 6. Toasts
// ─────────────────────────────────────────────────────────────────────────────

function toast(message, kind = "info", code = null) {
  const box = $("#toasts");
  if (!box) return;
  const t = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status", "data-testid": "toast" },
    h("span", { class: "toast-text" }, message),
    code && h("code", { class: "toast-code" }, code),
    h("button", { type: "button", class: "icon-btn small toast-close", "aria-label": "Dismiss", onclick: () => t.remove() }, icon("x")));
  box.append(t);
  setTimeout(() => t.remove(), kind === "error" ? 8000 : 4000);
  while (box.children.length > 4) box.firstElementChild.remove();
}

function toastError(e) {
  if (!e || e.code === "aborted" || e.status === 401) return;
  let msg = e.message || "Something went wrong.";
  if (e.code === "rate_limited" && e.retryAfter) msg += ` Try again in ${e.retryAfter} s.`;
  toast(msg, "error", e.code);
}

window.addEventListener("unhandledrejection", (ev) => {
  if (ev.reason instanceof ApiError) ev.preventDefault(); // already shown as a toast
});

// ─────────────────────────────────────────────────────────────────────────────
// 7. State
// ─────────────────────────────────────────────────────────────────────────────

const S = {
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
  typing: new Map(),     // "channel|root" → Map(user id → expiry ms)
  hold: 0,               // > 0 while a REST snapshot loads: events queue up
  queue: [],
  booted: false,
  viewRev: 0,            // bumped when every rendered message must be rebuilt (names, rights)
};

/** The main channel view. */
const V = {
  channelId: null, list: null, token: 0, loading: false,
  hasMoreBefore: false, hasMoreAfter: false, loadingOlder: false, loadingNewer: false,
  unreadAfter: null, unreadDismissed: false, newBelow: false,
};

/** The thread panel. */
const T = { rootId: null, channelId: null, list: null, token: 0 };

let mainComposer = null;
let threadComposer = null;

function hold() { S.hold++; }
function release() {
  S.hold = Math.max(0, S.hold - 1);
  if (!S.hold && S.booted) drainEvents();
}

const isConv = (ch) => !!ch && (ch.kind === "direct" || ch.kind === "group");
const canPost = (ch) => !!ch && !!ch.membership && !ch.archived;
const authorId = (m) => (m && m.author ? m.author.id : null);
const wsRole = (wsId) => (S.workspaces.find((w) => w.id === wsId) || {}).my_role || "member";
const isWsAdmin = (wsId) => ["admin", "owner"].includes(wsRole(wsId));
const canManage = (ch) => !!ch && !isConv(ch) && ((ch.membership && ch.membership.role === "admin") || isWsAdmin(ch.workspace_id));
const canEditTopic = (ch) => !!ch && !isConv(ch) && !!ch.membership && !ch.archived;
const channelsOf = (wsId) => [...S.channels.values()].filter((c) => c.workspace_id === wsId && c.membership);
const hashFor = (wsId, chId) => (chId ? `#/w/${wsId}/c/${chId}` : `#/w/${wsId}`);

function userName(id, fallback) {
  if (S.me && id === S.me.id) return S.me.display_name;
  const u = S.users.get(id);
  return (u && u.display_name) || fallback || "Someone";
}

function convOthers(ch) { return (ch.conversation_members || []).filter((id) => id !== S.me.id); }

function channelLabel(ch, withHash = true) {
  if (!ch) return "";
  if (isConv(ch)) {
    const others = convOthers(ch);
    if (!others.length) return `${S.me.display_name} (you)`;
    return others.map((id) => userName(id)).join(", ");
  }
  return (withHash ? "#" : "") + (ch.name || "channel");
}

/** Does the (server-rendered) message mention me, @channel, @here or @everyone? */
function mentionsMe(m) {
  if (!m || !m.html || !S.me) return false;
  if (m.html.includes(`data-mention="${S.me.username.toLowerCase()}"`)) return true;
  return /data-mention="(channel|here|all|everyone)"/.test(m.html);
}

/** Sidebar badge: mentions for channels, unread messages for conversations. */
function badgeCount(ch) {
  const m = ch.membership;
  if (!m) return 0;
  if (isConv(ch)) return Math.max(m.unread_count || 0, m.mention_count || 0);
  return m.mention_count || 0;
}
const isUnread = (ch) => !!ch.membership && ((ch.membership.unread_count || 0) > 0 || (ch.membership.mention_count || 0) > 0);

/** Merges a ChannelView into the store; events without `membership` keep ours. */
function mergeChannel(v) {
  const old = S.channels.get(v.id);
  if (!old) { S.channels.set(v.id, v); return v; }
  for (const k of Object.keys(v)) {
    if (k === "membership" && !v.membership) continue;
    if (k === "last_seq") { old.last_seq = Math.max(old.last_seq || 0, v.last_seq || 0); continue; }
    if (v[k] !== undefined) old[k] = v[k];
  }
  return old;
}

function defaultChannel(wsId) {
  const mine = channelsOf(wsId).filter((c) => !c.archived);
  return mine.find((c) => c.kind === "public" && c.name === "general")
    || mine.filter((c) => !isConv(c)).sort((a, b) => (a.name || "").localeCompare(b.name || ""))[0]
    || mine[0] || null;
}

// ─────────────────────────────────────────────────────────────────────────────
// 8. Users & presence
// ─────────────────────────────────────────────────────────────────────────────

function rememberUser(u) {
  if (!u || !u.id) return;
  const old = S.users.get(u.id);
  S.users.set(u.id, old ? Object.assign(old, u) : { ...u });
}

/** Members of a workspace (for names, @mentions, new conversations). */
function loadWsMembers(wsId, force = false) {
  const cached = S.wsMembers.get(wsId);
  if (cached && !force) return cached.promise;
  const entry = { list: cached ? cached.list : null, promise: null };
  entry.promise = api("GET", `/workspaces/${wsId}/members`, undefined, { quiet: true })
    .then((list) => {
      entry.list = list;
      for (const mv of list) rememberUser(mv.user);
      S.viewRev++;
      renderSidebarSoon();
      return list;
    })
    .catch(() => { S.wsMembers.delete(wsId); return []; });
  S.wsMembers.set(wsId, entry);
  return entry.promise;
}

const fetchingUsers = new Set();
/** Fetches profiles we do not know yet (GET /users/{id}), then re-renders names. */
function ensureUsers(ids) {
  const missing = ids.filter((id) => id && !S.users.has(id) && !fetchingUsers.has(id) && (!S.me || id !== S.me.id));
  if (!missing.length) return;
  for (const id of missing) fetchingUsers.add(id);
  Promise.all(missing.slice(0, 50).map((id) => api("GET", `/users/${id}`, undefined, { quiet: true })
    .then(rememberUser).catch(() => {}).finally(() => fetchingUsers.delete(id))))
    .then(() => { S.viewRev++; renderAllSoon(); });
}

/** Members of a channel as user ids (cached; events keep it current). */
async function ensureChannelMembers(chId, force = false) {
  if (!force && S.chMembers.has(chId)) return S.chMembers.get(chId);
  try {
    const list = await api("GET", `/channels/${chId}/members`, undefined, { quiet: true });
    for (const u of list) rememberUser(u);
    const ids = list.map((u) => u.id);
    S.chMembers.set(chId, ids);
    if (chId === V.channelId) renderHeader();
    return ids;
  } catch {
    return S.chMembers.get(chId) || [];
  }
}

function memberCount(ch) {
  if (isConv(ch)) return (ch.conversation_members || []).length;
  const ids = S.chMembers.get(ch.id);
  if (ids) return ids.length;
  return ch.member_count != null ? ch.member_count : null;
}

const PRESENCE_LABEL = { online: "Online", away: "Away", dnd: "Do not disturb", offline: "Offline", unknown: "Status unknown" };

function presenceDot(uid) {
  const st = S.presence.get(uid) || "unknown";
  return h("span", { class: `presence presence-${st}`, "data-presence-user": uid, role: "img", "aria-label": PRESENCE_LABEL[st], title: PRESENCE_LABEL[st] });
}

function setPresence(uid, status) {
  if (!uid || !status) return;
  S.presence.set(uid, status);
  if (S.me && uid === S.me.id) {
    S.myStatus = status;
    renderMe();
  }
  for (const el of $$(`.presence[data-presence-user="${CSS.escape(uid)}"]`)) {
    el.className = `presence presence-${status}`;
    el.setAttribute("aria-label", PRESENCE_LABEL[status] || status);
    el.title = PRESENCE_LABEL[status] || status;
  }
}

function avatar(uid, name, size) {
  const n = name || userName(uid);
  return h("span", { class: cls("avatar", size && `avatar-${size}`, `avatar-c${colorIndex(uid || n)}`), "aria-hidden": "true" }, initials(n));
}

/** Which people this socket follows: me, my conversation partners, a visible member list. */
function updatePresenceSub() {
  if (!RT.connected || !S.me) return;
  const ids = new Set([S.me.id]);
  for (const ch of channelsOf(S.wsId)) if (isConv(ch)) for (const u of ch.conversation_members || []) ids.add(u);
  if (Panel.mode === "details" && V.channelId) for (const u of S.chMembers.get(V.channelId) || []) ids.add(u);
  if ($("#dm-dialog").open) for (const el of $$("#dm-people [data-user-id]")) ids.add(el.dataset.userId);
  const list = [...ids].slice(0, PRESENCE_MAX);
  const key = list.slice().sort().join(",");
  if (key === RT.subKey) return;
  RT.subKey = key;
  RT.send({ type: "presence_sub", user_ids: list });
}
const updatePresenceSubSoon = batched(updatePresenceSub, 200);

function renderMe() {
  const btn = $("#me-btn");
  if (!btn || !S.me) return;
  const status = S.me.status;
  fill(btn,
    h("span", { class: "avatar-wrap" }, avatar(S.me.id, S.me.display_name, "sm"), presenceDot(S.me.id)),
    h("span", { class: "me-name" }, S.me.display_name),
    status && status.emoji ? h("span", { class: "me-status", title: status.text || "" }, status.emoji) : null);
  btn.setAttribute("aria-label", `Settings and profile — ${S.me.display_name}${S.myStatus === "dnd" ? " (do not disturb)" : ""}`);
}

// ─────────────────────────────────────────────────────────────────────────────
// 9. Sidebar & routing
// ─────────────────────────────────────────────────────────────────────────────

function channelIcon(ch) {
  if (ch.kind === "private") return icon("lock", "ch-icon");
  if (ch.kind === "group") return h("span", { class: "ch-icon group-count", "aria-hidden": "true" }, String((ch.conversation_members || []).length));
  if (ch.kind === "direct") {
    const other = convOthers(ch)[0] || S.me.id;
    return presenceDot(other);
  }
  return icon("hash", "ch-icon");
}

function sidebarItem(ch) {
  const active = ch.id === V.channelId;
  const badge = badgeCount(ch);
  const muted = !!(ch.membership && ch.membership.muted);
  const unread = isUnread(ch) && (!muted || badge > 0);
  const label = channelLabel(ch, false);
  const a = h("a", {
    class: cls("channel-item", active && "active", unread && "unread", muted && "muted", ch.archived && "archived", !ch.membership && "preview"),
    href: hashFor(ch.workspace_id, ch.id),
    "data-testid": "channel-item",
    "data-channel-id": ch.id,
    "data-unread": unread ? "true" : "false",
    "aria-current": active ? "page" : null,
    title: isConv(ch) ? label : `#${label}${ch.topic ? ` — ${ch.topic}` : ""}`,
  },
  channelIcon(ch),
  h("span", { class: "channel-name" }, label),
  unread && !badge ? h("span", { class: "visually-hidden" }, " (unread)") : null,
  muted ? icon("bell-off", "muted-icon") : null,
  badge > 0 ? h("span", { class: "badge", "data-testid": "unread-badge", "aria-label": `${badge} ${isConv(ch) ? "unread" : (badge === 1 ? "mention" : "mentions")}` }, badge > 99 ? "99+" : String(badge)) : null);
  return h("li", null, a);
}

function renderSidebar() {
  if (!S.me) return;
  const focusedId = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.channelId : null;
  const mine = channelsOf(S.wsId);
  const cur = S.channels.get(V.channelId);
  if (cur && !cur.membership && cur.workspace_id === S.wsId) mine.push(cur);
  const chans = mine.filter((c) => !isConv(c)).sort((a, b) => (a.archived - b.archived) || (a.name || "").localeCompare(b.name || ""));
  const dms = mine.filter(isConv).sort((a, b) => String(b.last_message_at || b.created_at).localeCompare(String(a.last_message_at || a.created_at)));
  $("#channel-list").replaceChildren(...chans.map(sidebarItem));
  $("#dm-list").replaceChildren(...(dms.length ? dms.map(sidebarItem) : [h("li", { class: "side-empty" }, "No conversations yet")]));
  if (focusedId) {
    const again = $(`.channel-item[data-channel-id="${CSS.escape(focusedId)}"]`);
    if (again) again.focus({ preventScroll: true });
  }
  // Workspace switcher (only with more than one workspace)
  const ws = S.workspaces.find((w) => w.id === S.wsId);
  $("#ws-name").textContent = ws ? ws.name : "";
  const sel = $("#ws-select");
  sel.hidden = S.workspaces.length < 2;
  $("#ws-name").hidden = S.workspaces.length >= 2;
  if (S.workspaces.length >= 2) {
    sel.replaceChildren(...S.workspaces.map((w) => {
      const unread = channelsOf(w.id).some((c) => badgeCount(c) > 0);
      return h("option", { value: w.id, selected: w.id === S.wsId }, w.name + (unread && w.id !== S.wsId ? " •" : ""));
    }));
    sel.value = S.wsId || "";
  }
  updateTitle();
}
const renderSidebarSoon = batched(renderSidebar, 30);

let routeToken = 0;
let nextJump = null;

/** Navigates to a conversation; `jump` = {aroundId, highlightId, aroundSeq}. */
function go(wsId, chId, jump) {
  nextJump = jump ? { ...jump, channelId: chId } : null;
  const target = hashFor(wsId, chId);
  if (location.hash === target) route();
  else location.hash = target;
}

function parseHash() {
  const m = /^#\/w\/([0-9a-fA-F-]{36})(?:\/c\/([0-9a-fA-F-]{36}))?/.exec(location.hash || "");
  return m ? { ws: m[1].toLowerCase(), ch: m[2] ? m[2].toLowerCase() : null } : { ws: null, ch: null };
}

async function route() {
  if (!S.booted) return;
  const tok = ++routeToken;
  const { ws: hWs, ch: hCh } = parseHash();
  let chan = null;
  if (hCh) chan = S.channels.get(hCh) || await ensureChannel(hCh, true);
  if (tok !== routeToken) return;
  let ws = chan ? chan.workspace_id : hWs;
  if (!ws || !S.workspaces.some((w) => w.id === ws)) ws = S.workspaces.length ? S.workspaces[0].id : null;
  if (!ws) { showEmpty("You are not a member of any workspace yet. Ask an administrator for an invitation link."); return; }
  if (chan && chan.workspace_id !== ws) chan = null;
  if (ws !== S.wsId) switchWorkspace(ws);
  if (!chan) chan = defaultChannel(ws);
  if (!chan) {
    history.replaceState(null, "", hashFor(ws, null));
    showEmpty("There are no conversations here yet. Create a channel or browse the existing ones.");
    return;
  }
  const want = hashFor(ws, chan.id);
  if (location.hash !== want) history.replaceState(null, "", want);
  const jump = nextJump && nextJump.channelId === chan.id ? nextJump : null;
  nextJump = null;
  closeDrawer();
  await openChannelView(chan.id, jump || {});
  if (!narrow() && !jump && document.activeElement && !document.activeElement.closest("dialog, .panel, .search-form")) {
    mainComposer.focus();
  }
}

function switchWorkspace(wsId) {
  S.wsId = wsId;
  if (Panel.mode === "search" || Panel.mode === "details" || Panel.mode === "pins") Panel.close();
  loadWsMembers(wsId);
  renderSidebar();
  updatePresenceSubSoon();
}

function showEmpty(text) {
  V.channelId = null;
  V.token++;
  V.list.reset(null);
  $("#empty-state").replaceChildren(h("p", null, text));
  $("#empty-state").hidden = false;
  $("#history-top").replaceChildren();
  $("#channel-title").replaceChildren();
  $("#channel-topic").hidden = true;
  $("#composer-slot").hidden = true;
  $("#composer-note").hidden = true;
  $(".channel-tools").hidden = true;
  renderSidebar();
}

const inflightChannels = new Map();
/** Loads one channel (GET /channels/{id}) into the store; null if not visible. */
function ensureChannel(id, preview = false, force = false) {
  const have = S.channels.get(id);
  if (have && !force && (have.membership || preview)) return Promise.resolve(have);
  if (inflightChannels.has(id)) return inflightChannels.get(id);
  const p = api("GET", `/channels/${id}`, undefined, { quiet: true })
    .then((v) => {
      const c = mergeChannel(v);
      if (v.membership === null && have && have.membership) c.membership = null; // we left it
      ensureUsers(v.conversation_members || []);
      renderSidebarSoon();
      updatePresenceSubSoon();
      if (id === V.channelId) { renderHeader(); renderComposerState(); }
      return c;
    })
    .catch(() => null)
    .finally(() => inflightChannels.delete(id));
  inflightChannels.set(id, p);
  return p;
}

const refreshTimers = new Map();
/** Re-reads a channel's counts a moment later (after deletes, partial read markers). */
function refreshChannelSoon(id) {
  clearTimeout(refreshTimers.get(id));
  refreshTimers.set(id, setTimeout(() => { refreshTimers.delete(id); ensureChannel(id, false, true); }, 600));
}

function removeChannel(id) {
  const ch = S.channels.get(id);
  S.channels.delete(id);
  S.chMembers.delete(id);
  if (T.channelId === id) Panel.close();
  if (V.channelId === id) {
    if (ch) toast(`You are no longer in ${channelLabel(ch)}.`);
    const d = defaultChannel(S.wsId);
    if (d) go(S.wsId, d.id); else showEmpty("There are no conversations here yet.");
  }
  renderSidebarSoon();
  updatePresenceSubSoon();
}

/** Alt+↑ / Alt+↓: previous / next conversation in the sidebar. */
function stepChannel(dir) {
  const items = $$("#sidebar .channel-item");
  if (!items.length) return;
  const i = items.findIndex((a) => a.dataset.channelId === V.channelId);
  const next = items[(i + dir + items.length) % items.length];
  if (next) go(S.wsId, next.dataset.channelId);
}

// ─────────────────────────────────────────────────────────────────────────────
// 10. Message rendering
// ─────────────────────────────────────────────────────────────────────────────

/** Post-processes sanitised message HTML: links open in a new tab, my mentions stand out. */
function decorateBody(body) {
  for (const a of body.querySelectorAll("a[href]")) a.target = "_blank";
  const me = S.me.username.toLowerCase();
  for (const s of body.querySelectorAll("span.mention")) {
    const who = s.dataset.mention || "";
    if (who === me || BROADCAST_MENTIONS.has(who)) s.classList.add("mention-me");
  }
}

const fileUrl = (f) => `${API}/files/${encodeURIComponent(f.id)}/content`;
const thumbUrl = (f) => `${API}/files/${encodeURIComponent(f.id)}/thumbnail`;

/** Fits (w, h) into a box, keeping the aspect ratio. */
function fitBox(w, hgt, maxW = 360, maxH = 280) {
  if (!w || !hgt) return null;
  const s = Math.min(1, maxW / w, maxH / hgt);
  return { w: Math.max(1, Math.round(w * s)), h: Math.max(1, Math.round(hgt * s)) };
}

function renderFiles(files) {
  const box = h("div", { class: "msg-files" });
  for (const f of files) {
    const url = fileUrl(f);
    const image = IMAGE_TYPES.has(f.content_type) && f.thumbnail_state !== "failed" && f.thumbnail_state !== "none";
    if (image) {
      // Until the thumbnail job finishes, show the original (served inline for these types).
      const ready = f.thumbnail_state === "ready";
      const dims = ready && f.thumbnail ? fitBox(f.thumbnail.width, f.thumbnail.height) : fitBox(f.width, f.height);
      box.append(h("a", { class: "file-image", href: url, target: "_blank", rel: "noopener", title: `${f.name} (${fmtSize(f.size)})` },
        h("img", {
          src: ready ? thumbUrl(f) : url, alt: f.name, loading: "lazy", decoding: "async",
          width: dims ? dims.w : null, height: dims ? dims.h : null,
          "data-testid": "attachment-image", "data-file-id": f.id,
        })));
    } else {
      box.append(h("a", { class: "file-card", href: `${url}?download=true`, download: f.name, "data-testid": "attachment-file", "data-file-id": f.id },
        h("span", { class: "file-card-icon" }, icon("file")),
        h("span", { class: "file-card-text" }, h("span", { class: "file-name" }, f.name), h("span", { class: "file-size" }, fmtSize(f.size))),
        icon("download", "file-card-dl")));
    }
  }
  return box;
}

function renderReactions(m, postable) {
  const row = h("div", { class: "reactions" });
  for (const r of m.reactions) {
    const mine = r.user_ids.includes(S.me.id);
    const names = r.user_ids.map((id) => (id === S.me.id ? "You" : userName(id))).join(", ");
    const ch = emojiChar(r.emoji);
    row.append(h("button", {
      type: "button", class: cls("reaction", mine && "mine"), "aria-pressed": mine ? "true" : "false",
      title: `${names} reacted with ${ch}`, "aria-label": `${ch} ${r.count}: ${names}`, disabled: !postable,
      "data-testid": "reaction", "data-emoji": r.emoji,
      onclick: () => toggleReaction(m.id, r.emoji),
    }, h("span", { class: "reaction-emoji" }, ch), h("span", { class: "reaction-count" }, String(r.count))));
  }
  if (postable) {
    row.append(h("button", {
      type: "button", class: "reaction add-reaction", "aria-label": "Add reaction", title: "Add reaction",
      onclick: (e) => EmojiPicker.open(e.currentTarget, (emoji) => addReaction(m.id, emoji)),
    }, icon("smile-plus")));
  }
  return row;
}

function threadLink(m) {
  const n = m.reply_count;
  return h("button", { type: "button", class: "thread-link", "data-testid": "thread-link", onclick: () => openThread(m.id) },
    icon("reply"),
    h("span", { class: "thread-count" }, `${n} ${n === 1 ? "reply" : "replies"}`),
    m.last_reply_at ? h("span", { class: "thread-last" }, `Last reply ${fmtWhen(toDate(m.last_reply_at))}`) : null);
}

function actionBtn(name, label, onclick, extra) {
  return h("button", { type: "button", class: cls("icon-btn", "small", extra), "aria-label": label, title: label, onclick }, icon(name));
}

function messageActions(m, list, mine, ch) {
  const postable = canPost(ch);
  const bar = h("div", { class: "msg-actions", role: "toolbar", "aria-label": "Message actions" });
  if (postable) bar.append(actionBtn("smile-plus", "Add reaction", (e) => EmojiPicker.open(e.currentTarget, (emoji) => addReaction(m.id, emoji))));
  if (postable && list.mode === "channel") bar.append(actionBtn("reply", "Reply in thread", () => openThread(m.id)));
  if (postable) bar.append(actionBtn("pin", m.pinned ? "Unpin message" : "Pin message", () => togglePin(m.id)));
  if (mine && postable) bar.append(actionBtn("edit", "Edit message", () => { const cur = list.get(m.id); if (cur) startEdit(cur, list); }));
  if (mine || canManage(ch)) bar.append(actionBtn("trash", "Delete message", () => deleteMessage(m.id), "danger"));
  return bar.childElementCount ? bar : null;
}

function messageHead(aid, name, date, pinned) {
  return h("div", { class: "msg-head" },
    h("span", { class: "msg-author", title: aid && S.users.get(aid) ? `@${S.users.get(aid).username}` : null }, name),
    h("time", { class: "msg-time", datetime: date.toISOString(), title: fmtFull(date) }, fmtTime(date)),
    pinned ? h("span", { class: "msg-flag" }, icon("pin"), "Pinned") : null);
}

function renderMessage(m, { grouped, list, editing }) {
  const aid = authorId(m);
  const mine = !!S.me && aid === S.me.id;
  const ch = S.channels.get(m.channel_id);
  const created = toDate(m.created_at);
  const name = aid ? userName(aid, m.author.display_name) : "Unknown";
  const node = h("div", {
    class: cls("msg", grouped && "grouped", m.deleted && "deleted", !mine && !m.deleted && mentionsMe(m) && "mentioned",
      list.highlightId === m.id && "highlight", editing && "editing", list.mode === "thread" && m.id === list.rootId && "thread-root"),
    "data-testid": "message", "data-message-id": m.id, "data-seq": m.seq, "data-author-id": aid || "", tabindex: "-1",
  });
  const gutter = h("div", { class: "msg-gutter" }, grouped
    ? h("time", { class: "msg-hover-time", datetime: created.toISOString(), title: fmtFull(created) }, fmtTime(created))
    : avatar(aid, name));
  const main = h("div", { class: "msg-main" });
  if (!grouped) main.append(messageHead(aid, name, created, m.pinned));
  else if (m.pinned) main.append(h("div", { class: "msg-flag" }, icon("pin"), "Pinned"));
  if (m.deleted) {
    main.append(h("div", { class: "msg-body msg-deleted" }, "This message was deleted."));
  } else if (editing) {
    main.append(editBox());
  } else {
    const body = h("div", { class: "msg-body", "data-testid": "message-body" });
    body.innerHTML = m.html; // MessageView.html — rendered and sanitised by the server (ammonia)
    decorateBody(body);
    if (m.edited_at) {
      const tag = h("span", { class: "msg-edited", title: `Edited ${fmtFull(toDate(m.edited_at))}`, "data-testid": "edited" }, "(edited)");
      const last = body.lastElementChild;
      if (last && last.tagName === "P") last.append(" ", tag); else body.append(tag);
    }
    main.append(body);
  }
  if (!m.deleted && m.files && m.files.length) main.append(renderFiles(m.files));
  if (!m.deleted && m.reactions && m.reactions.length) main.append(renderReactions(m, canPost(ch)));
  if (list.mode === "channel" && m.reply_count > 0) main.append(threadLink(m));
  node.append(gutter, main);
  if (!m.deleted && !editing && ch) {
    const bar = messageActions(m, list, mine, ch);
    if (bar) node.append(bar);
  }
  return node;
}

function renderPending(p, grouped) {
  const created = toDate(p.created_at);
  const failed = p.status === "failed";
  const node = h("div", {
    class: cls("msg", "pending", grouped && "grouped", failed && "failed"),
    "data-testid": "message", "data-pending": "true", "data-client-msg-id": p.client_msg_id, "aria-busy": failed ? null : "true",
  });
  const gutter = h("div", { class: "msg-gutter" }, grouped ? null : avatar(S.me.id, S.me.display_name));
  const main = h("div", { class: "msg-main" });
  if (!grouped) main.append(messageHead(S.me.id, S.me.display_name, created, false));
  if (p.text) main.append(h("div", { class: "msg-body msg-plain" }, p.text));
  if (p.files.length) main.append(h("div", { class: "msg-files" }, ...p.files.map((f) =>
    h("span", { class: "file-card pending-file" }, h("span", { class: "file-card-icon" }, icon("file")),
      h("span", { class: "file-card-text" }, h("span", { class: "file-name" }, f.name), h("span", { class: "file-size" }, fmtSize(f.size)))))));
  main.append(failed
    ? h("div", { class: "msg-status error", role: "alert" }, `Not sent${p.error ? ` — ${p.error}` : ""}. `,
      h("button", { type: "button", class: "link-btn", onclick: () => postPending(p) }, "Retry"), " · ",
      h("button", { type: "button", class: "link-btn", onclick: () => discardPending(p) }, "Discard"))
    : h("div", { class: "msg-status" }, "Sending…"));
  node.append(gutter, main);
  return node;
}

function daySeparator(d) {
  return h("div", { class: "day-sep", role: "separator" }, h("span", null, dayLabel(d)));
}

// ─────────────────────────────────────────────────────────────────────────────
// 11. Message list — ordered messages, keyed DOM reconciliation, scroll anchoring
// ─────────────────────────────────────────────────────────────────────────────

let REV = 0; // global revision: a node is rebuilt when its message's _rev changes

const bySeq = (a, b) => a.seq - b.seq;

function canGroup(prev, m) {
  if (!prev || prev.deleted || m.deleted) return false;
  const a = prev.author ? prev.author.id : null;
  const b = m.author ? m.author.id : null;
  if (!a || a !== b) return false;
  const dt = toDate(m.created_at) - toDate(prev.created_at);
  return dt >= 0 && dt < GROUP_MS;
}

class MessageList {
  /** mode: "channel" (top-level messages) or "thread" (root + replies). */
  constructor(el, scroller, mode) {
    this.el = el;
    this.scroller = scroller;
    this.mode = mode;
    this.items = [];
    this.byId = new Map();
    this.nodes = new Map(); // key → { node, sig }
    this.channelId = null;
    this.rootId = null;
    this.unreadAfter = null;
    this.highlightId = null;
    this.stick = true;
    this.dirty = false;
    this.timer = 0;
    this.onScroll = null;
    this.onRender = null;
    scroller.addEventListener("scroll", () => {
      this.stick = this.atBottom();
      if (this.onScroll) this.onScroll();
    }, { passive: true });
    const ro = new ResizeObserver(() => { if (this.stick) this.toBottom(); });
    ro.observe(el);
    ro.observe(scroller);
    el.addEventListener("load", () => { if (this.stick) this.toBottom(); }, true); // images
  }

  reset(channelId, rootId = null) {
    this.items = [];
    this.byId.clear();
    this.nodes.clear();
    this.el.replaceChildren();
    this.channelId = channelId;
    this.rootId = rootId;
    this.unreadAfter = null;
    this.highlightId = null;
    this.stick = true;
  }

  setItems(list) {
    this.items = [];
    this.byId.clear();
    for (const m of list) {
      if (this.byId.has(m.id)) continue;
      m._rev = ++REV;
      this.byId.set(m.id, m);
      this.items.push(m);
    }
    this.items.sort(bySeq);
    this.schedule();
  }

  get(id) { return this.byId.get(id); }

  /** Inserts or replaces a message (dedupe by id; ordered by seq). */
  upsert(m) {
    m._rev = ++REV;
    const old = this.byId.get(m.id);
    this.byId.set(m.id, m);
    const i = old ? this.items.indexOf(old) : -1;
    if (i >= 0) this.items[i] = m;
    else {
      let j = this.items.length;
      while (j > 0 && this.items[j - 1].seq > m.seq) j--;
      this.items.splice(j, 0, m);
    }
    this.schedule();
    return !old;
  }

  touch(id) {
    const m = this.byId.get(id);
    if (m) { m._rev = ++REV; this.schedule(); }
  }

  schedule() {
    this.dirty = true;
    if (!this.timer) this.timer = setTimeout(() => { this.timer = 0; if (this.dirty) this.render(); }, 16);
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 48;
  }

  toBottom() { this.scroller.scrollTop = this.scroller.scrollHeight; }

  isShown(m) {
    if (this.mode === "thread") return m.id === this.rootId || (m.thread_root_id === this.rootId && !m.deleted);
    return !m.thread_root_id && (!m.deleted || m.reply_count > 0);
  }

  pendingItems() {
    const out = [];
    for (const p of S.pending.values()) {
      if (p.channel_id !== this.channelId) continue;
      if (this.mode === "thread" ? p.thread_root_id === this.rootId : !p.thread_root_id) out.push(p);
    }
    return out;
  }

  /** The nodes the list should contain, reusing cached nodes whose signature is unchanged. */
  build() {
    const out = [];
    const used = new Set();
    const take = (key, sig, make) => {
      let rec = this.nodes.get(key);
      if (!rec || rec.sig !== sig) {
        rec = { node: make(), sig };
        rec.node.dataset.key = key;
        this.nodes.set(key, rec);
      }
      used.add(key);
      out.push(rec.node);
    };
    let prev = null;
    let prevDay = null;
    let unreadPlaced = false;
    for (const m of this.items) {
      if (!this.isShown(m)) continue;
      const d = toDate(m.created_at);
      const dk = dayKey(d);
      if (dk !== prevDay) {
        const label = dayLabel(d);
        take(`day:${dk}`, label, () => daySeparator(d));
        prevDay = dk;
        prev = null;
      }
      if (this.mode === "channel" && this.unreadAfter != null && !unreadPlaced && m.seq > this.unreadAfter && authorId(m) !== S.me.id) {
        take("unread", "", () => h("div", { class: "unread-divider", role: "separator", "aria-label": "New messages", "data-testid": "unread-divider" }, h("span", null, "New")));
        unreadPlaced = true;
        prev = null;
      }
      const grouped = canGroup(prev, m) && !(this.mode === "thread" && prev && prev.id === this.rootId);
      const editing = Edit.id === m.id && Edit.list === this;
      const sig = `${m._rev}|${grouped ? 1 : 0}|${editing ? 1 : 0}|${this.highlightId === m.id ? 1 : 0}|${S.viewRev}`;
      take(`m:${m.id}`, sig, () => renderMessage(m, { grouped, list: this, editing }));
      prev = m;
      if (this.mode === "thread" && m.id === this.rootId) {
        const n = this.items.filter((x) => x.thread_root_id === this.rootId && !x.deleted).length;
        take("replies", String(n), () => h("div", { class: "replies-sep", role: "separator" }, h("span", null, n ? `${n} ${n === 1 ? "reply" : "replies"}` : "No replies yet")));
        prev = null;
      }
    }
    for (const p of this.pendingItems()) {
      const grouped = canGroup(prev, p);
      take(`p:${p.client_msg_id}`, `${p.status}|${grouped ? 1 : 0}|${S.viewRev}`, () => renderPending(p, grouped));
      prev = p;
    }
    for (const key of [...this.nodes.keys()]) if (!used.has(key)) this.nodes.delete(key);
    return out;
  }

  render() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.dirty = false;
    const stick = this.stick;
    const anchor = stick ? null : this.captureAnchor();
    const active = document.activeElement;
    const activeKey = active && this.el.contains(active) ? (active.closest("[data-key]") || {}).dataset : null;
    const desired = this.build();
    let cursor = this.el.firstChild;
    for (const node of desired) {
      if (node === cursor) cursor = cursor.nextSibling;
      else this.el.insertBefore(node, cursor);
    }
    while (cursor) {
      const next = cursor.nextSibling;
      cursor.remove();
      cursor = next;
    }
    // Keep focus where it was (a re-rendered message is a new node).
    if (active && this.el.contains(active) === false && activeKey && activeKey.key) {
      const rec = this.nodes.get(activeKey.key);
      if (rec) (Edit.ta && rec.node.contains(Edit.ta) ? Edit.ta : rec.node).focus({ preventScroll: true });
    } else if (active === Edit.ta && Edit.ta && document.activeElement !== Edit.ta && Edit.ta.isConnected) {
      Edit.ta.focus({ preventScroll: true });
    }
    if (stick) this.toBottom();
    else if (anchor) this.restoreAnchor(anchor);
    if (this.onRender) this.onRender();
  }

  /** The first visible node and its offset, to keep the view steady across a render. */
  captureAnchor() {
    const top = this.scroller.getBoundingClientRect().top;
    for (const node of this.el.children) {
      const r = node.getBoundingClientRect();
      if (r.bottom > top) return { key: node.dataset.key, offset: r.top - top };
    }
    return null;
  }

  restoreAnchor(a) {
    const rec = this.nodes.get(a.key);
    if (!rec || !rec.node.isConnected) return;
    const top = this.scroller.getBoundingClientRect().top;
    const delta = rec.node.getBoundingClientRect().top - top - a.offset;
    if (Math.abs(delta) > 0.5) this.scroller.scrollTop += delta;
  }

  nodeFor(id) {
    const rec = this.nodes.get(`m:${id}`);
    return rec && rec.node.isConnected ? rec.node : null;
  }

  /** Scrolls a message into the middle of the view and flashes it. */
  reveal(id) {
    this.render();
    const node = this.nodeFor(id);
    if (!node) return false;
    this.stick = false;
    node.scrollIntoView({ block: "center" });
    this.stick = this.atBottom();
    // The highlight fades (CSS animation); drop the flag so later renders do not replay it.
    setTimeout(() => { if (this.highlightId === id) { this.highlightId = null; this.touch(id); } }, 4000);
    return true;
  }
}

/** Applies fn to every loaded copy of a message (channel view and thread panel). */
function patchMessage(id, fn) {
  let found = false;
  for (const list of [V.list, T.list]) {
    const m = list && list.get(id);
    if (m) { fn(m); list.touch(id); found = true; }
  }
  return found;
}

function findMessage(id) { return (V.list && V.list.get(id)) || (T.list && T.list.get(id)) || null; }

function refreshPendingViews() {
  V.list.schedule();
  T.list.schedule();
}

// ─────────────────────────────────────────────────────────────────────────────
// 12. Channel view — open, page through history, read marker, header
// ─────────────────────────────────────────────────────────────────────────────

/**
 * Shows a conversation. opts: aroundId (message id), aroundSeq, highlightId.
 * Events that arrive while the page loads are queued and applied after it
 * (idempotently), so nothing committed meanwhile is lost.
 */
async function openChannelView(chId, opts = {}) {
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
    mainComposer.setTarget(chId, null);
    if (Panel.mode === "details" || Panel.mode === "pins") Panel.refresh();
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
  maybeMarkRead(true);
  ensureChannelMembers(chId).then(() => { if (chId === V.channelId) renderHeader(); });
  fillViewport();
}

/** The top of the history: a spinner, or the conversation's beginning. */
function renderHistoryTop() {
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

function onMainScroll() {
  if (!V.channelId) return;
  const s = V.list.scroller;
  if (s.scrollTop < 400 && V.hasMoreBefore) loadOlder();
  if (V.hasMoreAfter && s.scrollHeight - s.scrollTop - s.clientHeight < 400) loadNewer();
  if (V.list.stick) { V.newBelow = false; maybeMarkRead(); }
  updateJumpButtons();
}

/** "Jump to first unread" and "Jump to recent / new messages" affordances. */
function updateJumpButtons() {
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

async function jumpToUnread() {
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

async function jumpToLatest() {
  V.newBelow = false;
  if (V.hasMoreAfter) await openChannelView(V.channelId, {});
  else { V.list.stick = true; V.list.toBottom(); }
  updateJumpButtons();
  maybeMarkRead();
}

let markTimer = 0;
/** Marks the open conversation read when it is visible, focused and scrolled to the end. */
function maybeMarkRead(force = false) {
  const ch = S.channels.get(V.channelId);
  if (!ch || !ch.membership || V.hasMoreAfter || V.loading) return;
  if (!pageFocused()) return;
  if (!force && !V.list.stick) return;
  const m = ch.membership;
  if (m.last_read_seq >= ch.last_seq && !m.unread_count && !m.mention_count) return;
  clearTimeout(markTimer);
  markTimer = setTimeout(() => markRead(ch.id), 250);
}

async function markRead(chId) {
  const ch = S.channels.get(chId);
  if (!ch || !ch.membership) return;
  const seq = ch.last_seq || 0;
  const m = ch.membership;
  // Optimistic: the badge goes at once; the answer (or read.updated) confirms.
  m.last_read_seq = Math.max(m.last_read_seq, seq);
  m.unread_count = 0;
  m.mention_count = 0;
  renderSidebarSoon();
  try {
    const r = await api("POST", `/channels/${chId}/read`, { seq }, { quiet: true });
    applyRead(chId, r.last_read_seq);
  } catch {
    refreshChannelSoon(chId);
  }
}

function applyRead(chId, seq) {
  const ch = S.channels.get(chId);
  if (!ch || !ch.membership) return;
  const m = ch.membership;
  if (seq > m.last_read_seq) m.last_read_seq = seq;
  if (m.last_read_seq >= (ch.last_seq || 0)) { m.unread_count = 0; m.mention_count = 0; }
  else refreshChannelSoon(chId);
  renderSidebarSoon();
}

function renderHeader() {
  const ch = S.channels.get(V.channelId);
  const title = $("#channel-title");
  const topic = $("#channel-topic");
  if (!ch) { title.replaceChildren(); topic.hidden = true; updateTitle(); return; }
  fill(title, channelIcon(ch), h("span", { class: "channel-title-text" }, channelLabel(ch, false)),
    ch.archived ? h("span", { class: "tag" }, "archived") : null,
    ch.membership && ch.membership.muted ? icon("bell-off", "muted-icon") : null);
  if (isConv(ch)) {
    const other = ch.kind === "direct" ? S.users.get(convOthers(ch)[0]) : null;
    const st = other && other.status;
    topic.hidden = !st;
    topic.disabled = true;
    topic.textContent = st ? `${st.emoji || ""} ${st.text || ""}`.trim() : "";
  } else {
    const editable = canEditTopic(ch);
    topic.hidden = !ch.topic && !editable;
    topic.disabled = !editable;
    topic.textContent = ch.topic || "Add a topic";
    topic.classList.toggle("placeholder", !ch.topic);
    topic.title = editable ? "Edit topic" : "";
  }
  const n = memberCount(ch);
  $("#member-count").textContent = n != null ? String(n) : "";
  $("#members-btn").setAttribute("aria-label", n != null ? `Details and members (${n})` : "Details and members");
  mainComposer.setPlaceholder(`Message ${channelLabel(ch)}`);
  updateTitle();
}

/** The composer, or a "join" / "archived" note in its place. */
function renderComposerState() {
  const ch = S.channels.get(V.channelId);
  const note = $("#composer-note");
  const slot = $("#composer-slot");
  if (!ch) { slot.hidden = true; note.hidden = true; return; }
  if (!ch.membership) {
    slot.hidden = true;
    note.hidden = false;
    note.replaceChildren(h("span", null, `You are viewing ${channelLabel(ch)}.`),
      h("button", { type: "button", class: "btn primary", "data-testid": "join-channel", onclick: () => joinChannel(ch.id) }, "Join channel"));
  } else if (ch.archived) {
    slot.hidden = true;
    note.hidden = false;
    note.replaceChildren(h("span", null, "This channel is archived. Its history stays readable."));
  } else {
    slot.hidden = false;
    note.hidden = true;
  }
  if (T.rootId) renderThreadComposerState();
}

async function joinChannel(chId) {
  try {
    await api("POST", `/channels/${chId}/join`);
  } catch { return; }
  await ensureChannel(chId, false, true);
  S.chMembers.delete(chId);
  S.viewRev++;
  renderHeader();
  renderComposerState();
  renderSidebar();
  V.list.schedule();
  mainComposer.focus();
}

async function leaveChannel(chId) {
  const ch = S.channels.get(chId);
  if (!ch) return;
  const ok = await confirmDialog(`Leave ${channelLabel(ch)}? ${ch.kind === "private" || ch.kind === "group" ? "You will need to be added again to come back." : "You can join it again from Browse channels."}`, { confirm: "Leave", title: "Leave conversation?" });
  if (!ok) return;
  try { await api("POST", `/channels/${chId}/leave`); } catch { return; }
  removeChannel(chId);
}

async function editTopic() {
  const ch = S.channels.get(V.channelId);
  if (!canEditTopic(ch)) return;
  const topic = await promptDialog("Edit topic", "Topic", ch.topic || "", { maxlength: 250, ok: "Save topic" });
  if (topic == null || topic === ch.topic) return;
  try {
    const v = await api("PATCH", `/channels/${ch.id}`, { topic });
    mergeChannel(v);
    renderHeader();
    if (Panel.mode === "details") renderDetails();
  } catch { /* toast */ }
}

// ─────────────────────────────────────────────────────────────────────────────
// 13. Message actions — reactions, pins, edit, delete, pending sends
// ─────────────────────────────────────────────────────────────────────────────

function reactionAdd(m, emoji, uid) {
  if (!m.reactions) m.reactions = [];
  let r = m.reactions.find((x) => x.emoji === emoji);
  if (!r) { r = { emoji, count: 0, user_ids: [] }; m.reactions.push(r); }
  if (!r.user_ids.includes(uid)) { r.user_ids.push(uid); r.count = r.user_ids.length; }
}

function reactionRemove(m, emoji, uid) {
  const r = (m.reactions || []).find((x) => x.emoji === emoji);
  if (!r) return;
  r.user_ids = r.user_ids.filter((u) => u !== uid);
  r.count = r.user_ids.length;
  if (!r.count) m.reactions = m.reactions.filter((x) => x !== r);
}

function hasMyReaction(id, emoji) {
  const m = findMessage(id);
  return !!m && (m.reactions || []).some((r) => r.emoji === emoji && r.user_ids.includes(S.me.id));
}

async function addReaction(id, emoji) {
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

function toggleReaction(id, emoji) {
  if (hasMyReaction(id, emoji)) removeReaction(id, emoji); else addReaction(id, emoji);
}

/** Pins or unpins; `pinnedNow` is used when the message is not loaded (pins panel). */
async function togglePin(id, pinnedNow) {
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

async function deleteMessage(id) {
  const m = findMessage(id);
  if (!m) return;
  const ok = await confirmDialog("Delete this message? This cannot be undone.", { confirm: "Delete", title: "Delete message?" });
  if (!ok) return;
  try {
    await api("DELETE", `/messages/${id}`);
    onMessageDeleted({ id, channel_id: m.channel_id, seq: m.seq, thread_root_id: m.thread_root_id });
  } catch { /* toast */ }
}

/** Inline editing of one of my messages (Enter saves, Esc cancels). */
const Edit = { id: null, list: null, ta: null };

function editBox() {
  return h("div", { class: "msg-edit" }, Edit.ta,
    h("div", { class: "msg-edit-hint" }, "Escape to ",
      h("button", { type: "button", class: "link-btn", onclick: () => cancelEdit() }, "cancel"), " · Enter to ",
      h("button", { type: "button", class: "link-btn", onclick: () => saveEdit() }, "save")));
}

function startEdit(m, list) {
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

function cancelEdit(refocus = true) {
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
function lastOwnMessage(list) {
  for (let i = list.items.length - 1; i >= 0; i--) {
    const m = list.items[i];
    if (!list.isShown(m) || m.deleted) continue;
    if (authorId(m) === S.me.id) return m;
  }
  return null;
}

/** Sends (or resends) an optimistic message; the server's copy replaces it. */
async function postPending(p) {
  p.status = "sending";
  p.error = "";
  refreshPendingViews();
  const body = { text: p.text, client_msg_id: p.client_msg_id, thread_root_id: p.thread_root_id || null, file_ids: p.files.map((f) => f.id) };
  try {
    const m = await api("POST", `/channels/${p.channel_id}/messages`, body, { quiet: true });
    S.pending.delete(p.client_msg_id);
    onMessageCreated(m, true);
  } catch (e) {
    if (e.status === 401) return;
    if (!S.pending.has(p.client_msg_id)) return; // the event already delivered it
    p.status = "failed";
    p.error = e.message;
    toastError(e);
    refreshPendingViews();
  }
}

function discardPending(p) {
  S.pending.delete(p.client_msg_id);
  refreshPendingViews();
}

// ─────────────────────────────────────────────────────────────────────────────
// 14. Emoji picker (one popover, shared by reactions and composers)
// ─────────────────────────────────────────────────────────────────────────────

const EmojiPicker = {
  el: null,
  anchor: null,
  onPick: null,
  cols: 6,

  build() {
    const grid = h("div", { class: "emoji-grid", role: "group", "aria-label": "Emoji" });
    for (const [e, name] of EMOJI) {
      grid.append(h("button", { type: "button", class: "emoji-choice", title: name, "aria-label": name, "data-emoji": e, "data-testid": "emoji-choice", onclick: () => this.pick(e) }, e));
    }
    this.el = h("div", { class: "emoji-picker", role: "dialog", "aria-label": "Choose an emoji", "data-testid": "emoji-picker", hidden: true }, grid);
    this.el.addEventListener("keydown", (e) => this.onKey(e));
    this.el.addEventListener("focusout", (e) => { if (e.relatedTarget && !this.el.contains(e.relatedTarget)) this.close(false); });
    document.body.append(this.el);
    document.addEventListener("pointerdown", (e) => {
      if (this.isOpen() && !this.el.contains(e.target) && !(this.anchor && this.anchor.contains(e.target))) this.close(false);
    }, true);
    window.addEventListener("resize", () => this.close(false));
  },

  isOpen() { return !!this.el && !this.el.hidden; },

  open(anchor, onPick) {
    if (!this.el) this.build();
    if (this.isOpen() && this.anchor === anchor) { this.close(); return; }
    this.anchor = anchor;
    this.onPick = onPick;
    this.el.hidden = false;
    const r = anchor.getBoundingClientRect();
    const pr = this.el.getBoundingClientRect();
    let top = r.top - pr.height - 6;
    if (top < 8) top = Math.min(r.bottom + 6, window.innerHeight - pr.height - 8);
    const left = Math.max(8, Math.min(r.right - pr.width, window.innerWidth - pr.width - 8));
    this.el.style.top = `${Math.round(top)}px`;   // CSSOM, allowed by the CSP
    this.el.style.left = `${Math.round(left)}px`;
    this.el.querySelector("button").focus();
  },

  close(refocus = true) {
    if (!this.isOpen()) return;
    this.el.hidden = true;
    const a = this.anchor;
    this.anchor = null;
    this.onPick = null;
    if (refocus && a && a.isConnected) a.focus();
  },

  pick(emoji) {
    const fn = this.onPick;
    this.close();
    if (fn) fn(emoji);
  },

  onKey(e) {
    const btns = $$("button", this.el);
    const i = btns.indexOf(document.activeElement);
    let j;
    switch (e.key) {
      case "ArrowRight": j = i + 1; break;
      case "ArrowLeft": j = i - 1; break;
      case "ArrowDown": j = i + this.cols; break;
      case "ArrowUp": j = i - this.cols; break;
      case "Home": j = 0; break;
      case "End": j = btns.length - 1; break;
      case "Escape": e.preventDefault(); e.stopPropagation(); this.close(); return;
      default: return;
    }
    e.preventDefault();
    if (j >= 0 && j < btns.length) btns[j].focus();
  },
};

// ─────────────────────────────────────────────────────────────────────────────
// 15. Composer — drafts, attachments, autocomplete, typing, optimistic send
// ─────────────────────────────────────────────────────────────────────────────

const Drafts = new Map(); // "channel|root" → { text, attachments }

function mentionCandidates(q, chId) {
  const ch = S.channels.get(chId);
  const inChannel = S.chMembers.get(chId) || (isConv(ch) ? ch.conversation_members || [] : []);
  const pool = new Map();
  for (const id of inChannel) pool.set(id, 0);
  const ws = ch && S.wsMembers.get(ch.workspace_id);
  if (ws && ws.list) for (const mv of ws.list) if (!mv.deactivated_at && !pool.has(mv.user.id)) pool.set(mv.user.id, 1);
  const found = [];
  for (const [id, rank] of pool) {
    if (id === S.me.id) continue;
    const u = S.users.get(id);
    if (!u || u.deactivated) continue;
    const un = u.username.toLowerCase();
    const dn = u.display_name.toLowerCase();
    let score;
    if (!q || un.startsWith(q)) score = 0;
    else if (dn.startsWith(q) || dn.split(/\s+/).some((w) => w.startsWith(q))) score = 1;
    else if (un.includes(q) || dn.includes(q)) score = 2;
    else continue;
    found.push({ rank, score, u });
  }
  found.sort((a, b) => a.rank - b.rank || a.score - b.score || a.u.display_name.localeCompare(b.u.display_name));
  const items = found.slice(0, 8).map(({ u }) => ({
    insert: u.username,
    render: () => [avatar(u.id, u.display_name, "xs"), h("span", { class: "ac-name" }, u.display_name), h("span", { class: "ac-sub" }, `@${u.username}`), presenceDot(u.id)],
  }));
  if (ch && !isConv(ch)) {
    for (const [name, desc] of [["here", "everyone online in this channel"], ["channel", "everyone in this channel"]]) {
      if (name.startsWith(q)) items.push({ insert: name, render: () => [h("span", { class: "ac-name" }, `@${name}`), h("span", { class: "ac-sub" }, `Notify ${desc}`)] });
    }
  }
  return items;
}

function channelCandidates(q) {
  const seen = new Map();
  for (const c of channelsOf(S.wsId)) if (!isConv(c)) seen.set(c.id, c);
  for (const c of S.browse.get(S.wsId) || []) if (!seen.has(c.id)) seen.set(c.id, c);
  return [...seen.values()]
    .filter((c) => c.name && (c.name.startsWith(q) || c.name.includes(q)))
    .sort((a, b) => (b.name.startsWith(q) - a.name.startsWith(q)) || a.name.localeCompare(b.name))
    .slice(0, 8)
    .map((c) => ({ insert: c.name, render: () => [channelIcon(c), h("span", { class: "ac-name" }, c.name), c.topic ? h("span", { class: "ac-sub" }, c.topic) : null] }));
}

const browseLoading = new Map(); // workspace id → in-flight promise
/** Public channels of a workspace (cached; guests get an empty list). */
function loadBrowse(wsId) {
  if (S.browse.has(wsId)) return Promise.resolve(S.browse.get(wsId));
  if (browseLoading.has(wsId)) return browseLoading.get(wsId);
  const p = api("GET", `/workspaces/${wsId}/channels/browse`, undefined, { quiet: true })
    .then((list) => { S.browse.set(wsId, list); return list; })
    .catch(() => { S.browse.set(wsId, []); return []; })
    .finally(() => browseLoading.delete(wsId));
  browseLoading.set(wsId, p);
  return p;
}

class Composer {
  constructor(slot, kind) {
    const frag = $("#composer-template").content.cloneNode(true);
    hydrateIcons(frag);
    this.form = frag.querySelector(".composer");
    slot.append(frag);
    this.kind = kind;
    this.ta = $(".composer-input", this.form);
    this.fileInput = $(".composer-file", this.form);
    this.tray = $(".attachments", this.form);
    this.acEl = $(".autocomplete", this.form);
    this.sendBtn = $(".send-btn", this.form);
    const thread = kind === "thread";
    this.ta.id = thread ? "thread-composer-input" : "composer-input";
    this.ta.dataset.testid = thread ? "thread-composer" : "composer";
    this.fileInput.dataset.testid = thread ? "thread-file-input" : "file-input";
    this.acEl.id = thread ? "thread-autocomplete" : "autocomplete";
    this.ta.setAttribute("aria-controls", this.acEl.id);
    this.form.dataset.testid = thread ? "thread-composer-form" : "composer-form";
    this.channelId = null;
    this.rootId = null;
    this.attachments = [];
    this.ac = null;

    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.send(); });
    this.ta.addEventListener("keydown", (e) => this.onKey(e));
    this.ta.addEventListener("input", () => this.onInput());
    this.ta.addEventListener("click", () => this.updateAC());
    this.ta.addEventListener("focus", () => { if (this.channelId) ensureChannelMembers(this.channelId); });
    this.ta.addEventListener("blur", () => setTimeout(() => { if (document.activeElement !== this.ta) this.closeAC(); }, 120));
    this.ta.addEventListener("paste", (e) => this.onPaste(e));
    $(".attach-btn", this.form).addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => {
      this.addFiles(Array.from(this.fileInput.files || []));
      this.fileInput.value = "";
    });
    $(".emoji-btn", this.form).addEventListener("click", (e) => EmojiPicker.open(e.currentTarget, (emoji) => this.insertText(emoji)));
  }

  get key() { return this.channelId ? `${this.channelId}|${this.rootId || ""}` : null; }

  focus() {
    if (this.form.isConnected && !this.form.closest("[hidden]")) this.ta.focus();
  }

  setPlaceholder(text) { this.ta.placeholder = text; this.ta.setAttribute("aria-label", text); }

  /** Switches the composer to another conversation, keeping each one's draft. */
  setTarget(channelId, rootId) {
    if (this.key) {
      if (this.ta.value || this.attachments.length) Drafts.set(this.key, { text: this.ta.value, attachments: this.attachments });
      else Drafts.delete(this.key);
    }
    this.channelId = channelId;
    this.rootId = rootId || null;
    const d = (this.key && Drafts.get(this.key)) || { text: "", attachments: [] };
    this.ta.value = d.text;
    this.attachments = d.attachments;
    this.closeAC();
    this.renderTray();
    autogrow(this.ta);
  }

  onKey(e) {
    if (this.ac) {
      if (e.key === "ArrowDown") { e.preventDefault(); this.moveAC(1); return; }
      if (e.key === "ArrowUp") { e.preventDefault(); this.moveAC(-1); return; }
      if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey) { e.preventDefault(); this.pickAC(this.ac.index); return; }
      if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); this.closeAC(); return; }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      this.send();
      return;
    }
    if (e.key === "ArrowUp" && !this.ta.value && !this.attachments.length && !e.shiftKey && !e.altKey) {
      const list = this.kind === "thread" ? T.list : V.list;
      const last = lastOwnMessage(list);
      if (last) { e.preventDefault(); startEdit(last, list); }
    }
  }

  onInput() {
    autogrow(this.ta);
    this.updateAC();
    if (this.ta.value.trim() && this.channelId) sendTyping(this.channelId, this.rootId);
  }

  onPaste(e) {
    const files = Array.from((e.clipboardData && e.clipboardData.files) || []);
    if (!files.length) return;
    e.preventDefault();
    this.addFiles(files);
  }

  insertText(text) {
    const { selectionStart: a, selectionEnd: b } = this.ta;
    this.ta.focus();
    this.ta.setRangeText(text, a, b, "end");
    this.onInput();
  }

  // — attachments —

  addFiles(files) {
    if (!files.length) return;
    const ch = S.channels.get(this.channelId);
    if (!canPost(ch)) { toast("You cannot share files here.", "error"); return; }
    for (const file of files) {
      if (this.attachments.length >= MAX_FILES) { toast(`Up to ${MAX_FILES} files per message.`, "error"); break; }
      const name = file.name || `pasted-${Date.now()}.${(file.type.split("/")[1] || "bin").replace(/[^a-z0-9]/gi, "")}`;
      const a = {
        key: uuid(), file, name, size: file.size, type: file.type, status: "uploading", progress: 0,
        fileView: null, error: "", channelId: this.channelId, progressEl: null,
        previewUrl: IMAGE_TYPES.has(file.type) ? URL.createObjectURL(file) : null,
      };
      a.upload = uploadFile(a.channelId, file, name, (p) => {
        a.progress = p;
        if (a.progressEl) { a.progressEl.value = Math.round(p * 100); a.progressEl.textContent = `${Math.round(p * 100)}%`; }
      });
      a.upload.promise.then(
        (fv) => { if (a.status === "removed") { api("DELETE", `/files/${fv.id}`, undefined, { quiet: true }).catch(() => {}); return; } a.status = "done"; a.fileView = fv; },
        (err) => { if (a.status === "removed") return; a.status = "error"; a.error = err.message; toastError(err); },
      ).finally(() => { if (this.attachments.includes(a)) this.renderTray(); });
      this.attachments.push(a);
    }
    this.renderTray();
    this.ta.focus();
  }

  removeAttachment(a) {
    const was = a.status;
    a.status = "removed";
    if (was === "uploading") a.upload.xhr.abort();
    if (was === "done" && a.fileView) api("DELETE", `/files/${a.fileView.id}`, undefined, { quiet: true }).catch(() => {});
    if (a.previewUrl) URL.revokeObjectURL(a.previewUrl);
    this.attachments = this.attachments.filter((x) => x !== a);
    this.renderTray();
    this.ta.focus();
  }

  renderTray() {
    this.tray.hidden = !this.attachments.length;
    this.tray.replaceChildren(...this.attachments.map((a) => {
      const pct = Math.round(a.progress * 100);
      a.progressEl = a.status === "uploading"
        ? h("progress", { class: "att-progress", max: "100", value: String(pct), "aria-label": `Uploading ${a.name}`, "data-testid": "upload-progress" }, `${pct}%`)
        : null;
      return h("div", { class: cls("att", `att-${a.status}`), "data-testid": "attachment-draft", "data-status": a.status },
        a.previewUrl ? h("img", { class: "att-thumb", src: a.previewUrl, alt: "", "data-testid": "attachment-preview" }) : h("span", { class: "att-icon" }, icon("file")),
        h("div", { class: "att-info" },
          h("span", { class: "att-name", title: a.name }, a.name),
          h("span", { class: "att-meta" }, a.status === "error" ? a.error : a.status === "done" ? `${fmtSize(a.size)} · ready` : fmtSize(a.size)),
          a.progressEl),
        h("button", { type: "button", class: "icon-btn small att-remove", "aria-label": `Remove ${a.name}`, title: "Remove", onclick: () => this.removeAttachment(a) }, icon("x")));
    }));
    const uploading = this.attachments.some((a) => a.status === "uploading");
    this.sendBtn.classList.toggle("waiting", uploading);
    this.sendBtn.setAttribute("aria-label", uploading ? "Send (waiting for uploads)" : "Send");
  }

  // — sending —

  send() {
    const ch = S.channels.get(this.channelId);
    if (!canPost(ch)) return;
    if (this.attachments.some((a) => a.status === "uploading")) { toast("Wait for the uploads to finish, then send."); return; }
    const ready = this.attachments.filter((a) => a.status === "done");
    const text = this.ta.value;
    if (!text.trim() && !ready.length) return;
    if (text.length > 16000) { toast("Messages can be at most 16,000 characters.", "error"); return; }
    const p = {
      client_msg_id: uuid(), channel_id: this.channelId, thread_root_id: this.rootId,
      text: text.trim() ? text : "", files: ready.map((a) => a.fileView),
      created_at: new Date().toISOString(), author: { id: S.me.id, username: S.me.username, display_name: S.me.display_name },
      status: "sending", error: "",
    };
    S.pending.set(p.client_msg_id, p);
    for (const a of this.attachments) if (a.previewUrl) URL.revokeObjectURL(a.previewUrl);
    this.attachments = [];
    this.ta.value = "";
    if (this.key) Drafts.delete(this.key);
    this.closeAC();
    this.renderTray();
    autogrow(this.ta);
    const list = this.kind === "thread" ? T.list : V.list;
    list.stick = true;
    if (this.kind === "channel") {
      V.unreadAfter = null;
      V.list.unreadAfter = null;
      if (V.hasMoreAfter) jumpToLatest();
    }
    refreshPendingViews();
    postPending(p);
  }

  // — @mention and #channel autocomplete —

  updateAC() {
    const ta = this.ta;
    const pos = ta.selectionStart;
    if (pos !== ta.selectionEnd || !this.channelId) { this.closeAC(); return; }
    const before = ta.value.slice(0, pos);
    const m = /(?:^|[\s(])([@#])([\p{L}\p{N}._-]{0,32})$/u.exec(before);
    if (!m) { this.closeAC(); return; }
    const trigger = m[1];
    const q = m[2].toLowerCase();
    const start = pos - m[2].length - 1;
    if (trigger === "#" && !S.browse.has(S.wsId) && !browseLoading.has(S.wsId)) {
      loadBrowse(S.wsId).then(() => { if (document.activeElement === this.ta) this.updateAC(); });
    }
    const items = trigger === "@" ? mentionCandidates(q, this.channelId) : channelCandidates(q);
    if (!items.length) { this.closeAC(); return; }
    const index = this.ac && this.ac.start === start ? Math.min(this.ac.index, items.length - 1) : 0;
    this.ac = { trigger, start, end: pos, items, index };
    this.renderAC();
  }

  renderAC() {
    const { items, index } = this.ac;
    this.acEl.replaceChildren(...items.map((it, i) => h("li", {
      id: `${this.acEl.id}-${i}`, role: "option", class: cls("ac-item", i === index && "selected"),
      "aria-selected": i === index ? "true" : "false", "data-testid": "autocomplete-item",
      onmousedown: (e) => { e.preventDefault(); this.pickAC(i); },
    }, it.render())));
    this.acEl.hidden = false;
    this.ta.setAttribute("aria-expanded", "true");
    this.ta.setAttribute("aria-activedescendant", `${this.acEl.id}-${index}`);
    const sel = this.acEl.children[index];
    if (sel) sel.scrollIntoView({ block: "nearest" });
  }

  moveAC(d) {
    const n = this.ac.items.length;
    this.ac.index = (this.ac.index + d + n) % n;
    this.renderAC();
  }

  pickAC(i) {
    const it = this.ac && this.ac.items[i];
    if (!it) return;
    const { trigger, start, end } = this.ac;
    this.ta.setRangeText(`${trigger}${it.insert} `, start, end, "end");
    this.closeAC();
    autogrow(this.ta);
    this.ta.focus();
  }

  closeAC() {
    if (!this.ac && this.acEl.hidden) return;
    this.ac = null;
    this.acEl.hidden = true;
    this.acEl.replaceChildren();
    this.ta.setAttribute("aria-expanded", "false");
    this.ta.removeAttribute("aria-activedescendant");
  }
}

/** Drag-and-drop of files onto an area, handed to a composer. */
function bindDropZone(zone, overlay, getComposer) {
  let depth = 0;
  zone.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    overlay.hidden = false;
  });
  zone.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  });
  zone.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) overlay.hidden = true;
  });
  zone.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.stopPropagation();
    depth = 0;
    overlay.hidden = true;
    const c = getComposer();
    if (c) c.addFiles(Array.from(e.dataTransfer.files || []));
  });
}

// ─────────────────────────────────────────────────────────────────────────────
// 16. Thread panel
// ─────────────────────────────────────────────────────────────────────────────

/** Opens the thread of `rootId` (a reply id also works: the server finds its root). */
async function openThread(rootId, opts = {}) {
  const token = ++T.token;
  if (Edit.list === T.list) cancelEdit(false);
  T.rootId = rootId;
  T.channelId = null;
  T.list.reset(null, rootId);
  T.list.highlightId = opts.highlightId || null;
  Panel.open("thread");
  $("#thread-note").hidden = true;
  $("#panel-sub").textContent = "";
  T.list.el.replaceChildren(h("div", { class: "history-loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading thread…"));
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
    if (token === T.token) Panel.close();
  } finally {
    release();
  }
}

function renderThreadComposerState() {
  const ch = S.channels.get(T.channelId);
  const root = T.list.get(T.rootId);
  const slot = $("#thread-composer-slot");
  const note = $("#thread-note");
  const ok = canPost(ch) && root && !root.deleted;
  slot.hidden = !ok;
  note.hidden = ok || !ch;
  if (!ok && ch) note.textContent = !ch.membership ? "Join the channel to reply." : ch.archived ? "This channel is archived." : "This thread's first message was deleted.";
}

// ─────────────────────────────────────────────────────────────────────────────
// 17. Side panel (thread | search | details | pins) and search
// ─────────────────────────────────────────────────────────────────────────────

const PANEL_TITLES = { thread: "Thread", search: "Search", details: "Details", pins: "Pinned messages" };

const Panel = {
  mode: null,

  open(mode) {
    const panel = $("#panel");
    const was = this.mode;
    this.mode = mode;
    panel.hidden = false;
    document.body.classList.add("panel-open");
    for (const [m, id] of [["thread", "thread-view"], ["search", "search-view"], ["details", "details-view"], ["pins", "pins-view"]]) $(`#${id}`).hidden = m !== mode;
    $("#panel-title").textContent = PANEL_TITLES[mode];
    if (mode !== "thread") $("#panel-sub").textContent = mode === "search" ? "" : channelLabel(S.channels.get(V.channelId));
    if (was === "thread" && mode !== "thread") this.leaveThread();
    $("#members-btn").setAttribute("aria-pressed", String(mode === "details"));
    $("#pins-btn").setAttribute("aria-pressed", String(mode === "pins"));
  },

  leaveThread() {
    if (Edit.list === T.list) cancelEdit(false);
    T.token++;
    threadComposer.setTarget(null, null);
    T.rootId = null;
    T.channelId = null;
    T.list.reset(null);
  },

  close() {
    if (!this.mode) return;
    const was = this.mode;
    if (was === "thread") this.leaveThread();
    this.mode = null;
    $("#panel").hidden = true;
    document.body.classList.remove("panel-open");
    $("#members-btn").setAttribute("aria-pressed", "false");
    $("#pins-btn").setAttribute("aria-pressed", "false");
    renderTyping();
    updatePresenceSubSoon();
    if (!narrow()) mainComposer.focus();
  },

  toggle(mode) {
    if (this.mode === mode) this.close();
    else { this.open(mode); this.refresh(); }
  },

  /** Re-renders the details or pins view for the current conversation. */
  refresh() {
    if (this.mode === "details") { $("#panel-sub").textContent = channelLabel(S.channels.get(V.channelId)); renderDetails(); }
    else if (this.mode === "pins") { $("#panel-sub").textContent = channelLabel(S.channels.get(V.channelId)); loadPins(); }
  },
};

const SR = { q: "", page: 1, sort: "relevance", token: 0, hasMore: false, count: 0 };

async function runSearch(q, page = 1) {
  q = q.trim();
  if (!q) return;
  SR.q = q;
  SR.page = page;
  const token = ++SR.token;
  Panel.open("search");
  const box = $("#search-results");
  const more = $("#search-more");
  $("#panel-sub").textContent = `“${q}”`;
  if (page === 1) {
    SR.count = 0;
    box.replaceChildren(h("div", { class: "history-loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Searching…"));
  }
  more.disabled = true;
  const params = new URLSearchParams({ q, sort: SR.sort, page: String(page), per_page: "20" });
  if (S.wsId) params.set("workspace_id", S.wsId);
  try {
    const r = await api("GET", `/search?${params}`, undefined, { quiet: true });
    if (token !== SR.token) return;
    if (page === 1) box.replaceChildren();
    for (const res of r.results) box.append(searchResultNode(res));
    SR.count += r.results.length;
    SR.hasMore = r.has_more;
    if (!SR.count) box.replaceChildren(h("p", { class: "empty" }, "No messages match your search."));
    $("#search-summary").textContent = SR.count ? `${SR.count}${r.has_more ? "+" : ""} result${SR.count === 1 ? "" : "s"}` : "";
    more.hidden = !r.has_more;
  } catch (e) {
    if (token !== SR.token) return;
    if (page === 1) box.replaceChildren(h("p", { class: "search-error", role: "alert" }, e.message || "Search failed."));
    else toastError(e);
    more.hidden = true;
    $("#search-summary").textContent = "";
  } finally {
    more.disabled = false;
  }
}

function searchResultNode(r) {
  const m = r.message;
  const ch = S.channels.get(r.channel.id);
  const where = ch ? channelLabel(ch) : r.channel.name ? `#${r.channel.name}` : "Direct message";
  const aid = authorId(m);
  const when = toDate(m.created_at);
  const snippet = h("div", { class: "result-snippet" });
  snippet.innerHTML = r.snippet; // SearchResult.snippet — escaped by the server, matches in <mark>
  return h("button", { type: "button", class: "result", "data-testid": "search-result", "data-message-id": m.id, onclick: () => jumpToMessage(m) },
    h("span", { class: "result-meta" },
      h("span", { class: "result-channel" }, where),
      m.thread_root_id ? h("span", { class: "result-thread" }, "in a thread") : null,
      h("span", { class: "result-sep", "aria-hidden": "true" }, "·"),
      h("span", { class: "result-author" }, aid ? userName(aid, m.author.display_name) : "Unknown"),
      h("time", { class: "result-time", datetime: when.toISOString(), title: fmtFull(when) }, fmtWhen(when))),
    snippet);
}

/** Opens a message's conversation around it and highlights it (replies: in their thread). */
async function jumpToMessage(m) {
  const ch = S.channels.get(m.channel_id) || await ensureChannel(m.channel_id, true);
  if (!ch) { toast("That conversation is no longer available.", "error"); return; }
  const target = m.thread_root_id || m.id;
  if (narrow() && !m.thread_root_id) Panel.close();
  go(ch.workspace_id, ch.id, { aroundId: target, highlightId: target });
  if (m.thread_root_id) openThread(m.thread_root_id, { highlightId: m.id, focus: false });
}

// ─────────────────────────────────────────────────────────────────────────────
// 18. Details & pins panels
// ─────────────────────────────────────────────────────────────────────────────

function notifyControls(ch, idPrefix) {
  const m = ch.membership;
  const level = h("select", { id: `${idPrefix}-level`, "data-testid": "notify-level" },
    ...[["default", isConv(ch) ? "Default (every message)" : "Default (mentions)"], ["all", "Every message"], ["mentions", "Mentions only"], ["none", "Nothing"]]
      .map(([v, label]) => h("option", { value: v, selected: m.notify_level === v }, label)));
  level.value = m.notify_level || "default";
  level.addEventListener("change", () => setNotify(ch.id, { notify_level: level.value }));
  const mute = h("input", { type: "checkbox", id: `${idPrefix}-mute`, checked: !!m.muted, "data-testid": "mute-toggle" });
  mute.addEventListener("change", () => setNotify(ch.id, { muted: mute.checked }));
  return h("div", { class: "notify-controls" },
    h("label", { class: "field" }, h("span", null, "Notify me about"), level),
    h("label", { class: "check" }, mute, h("span", null, "Mute — no badge for new messages")));
}

async function setNotify(chId, patch) {
  try {
    await api("PATCH", `/channels/${chId}/notifications`, patch);
  } catch { return; }
  const ch = S.channels.get(chId);
  if (ch && ch.membership) Object.assign(ch.membership, patch);
  renderSidebarSoon();
  if (chId === V.channelId) renderHeader();
  toast("Notification preference saved.");
}

function userRow(uid, extra) {
  const u = S.users.get(uid) || { id: uid, display_name: userName(uid), username: "" };
  const st = u.status;
  return h("li", { class: "member-row", "data-user-id": uid, "data-testid": "member" },
    h("span", { class: "avatar-wrap" }, avatar(uid, u.display_name, "sm"), presenceDot(uid)),
    h("span", { class: "member-text" },
      h("span", { class: "member-name" }, u.display_name, uid === S.me.id ? h("span", { class: "tag" }, "you") : null),
      h("span", { class: "member-sub" }, [u.username ? `@${u.username}` : "", st ? `${st.emoji || ""} ${st.text || ""}`.trim() : ""].filter(Boolean).join(" · "))),
    extra || null);
}

async function renderDetails() {
  const ch = S.channels.get(V.channelId);
  const box = $("#details-body");
  if (!ch) { box.replaceChildren(); return; }
  const parts = [];
  if (!isConv(ch)) {
    parts.push(h("section", { class: "detail-section" },
      h("h3", null, "About"),
      h("dl", { class: "detail-list" },
        h("dt", null, "Topic"), h("dd", null, ch.topic || "No topic set.",
          canEditTopic(ch) ? h("button", { type: "button", class: "link-btn", onclick: editTopic }, "Edit") : null),
        ch.purpose ? [h("dt", null, "Purpose"), h("dd", null, ch.purpose)] : null,
        h("dt", null, "Created"), h("dd", null, fmtFull(toDate(ch.created_at))),
        h("dt", null, "Visibility"), h("dd", null, ch.kind === "private" ? "Private — only members can see it" : "Public — anyone in the workspace can join"))));
  }
  if (ch.membership) parts.push(h("section", { class: "detail-section" }, h("h3", null, "Notifications"), notifyControls(ch, "details")));
  const membersList = h("ul", { class: "member-list", "aria-label": "Members" }, h("li", { class: "muted" }, "Loading members…"));
  const membersHead = h("h3", null, "Members");
  const membersSection = h("section", { class: "detail-section" }, membersHead, membersList);
  parts.push(membersSection);
  if (ch.membership && ch.kind !== "direct") {
    parts.push(h("section", { class: "detail-section" },
      h("button", { type: "button", class: "btn danger-outline", "data-testid": "leave-channel", onclick: () => leaveChannel(ch.id) }, isConv(ch) ? "Leave conversation" : "Leave channel")));
  }
  box.replaceChildren(...parts);
  const ids = isConv(ch) ? (ch.conversation_members || []) : await ensureChannelMembers(ch.id, true);
  if (ch.id !== V.channelId || Panel.mode !== "details") return;
  ensureUsers(ids);
  membersHead.textContent = `Members (${ids.length})`;
  const sorted = ids.slice().sort((a, b) => (a === S.me.id) - (b === S.me.id) || userName(a).localeCompare(userName(b)));
  membersList.replaceChildren(...sorted.map((uid) => userRow(uid,
    h("button", { type: "button", class: "btn small", "aria-label": `Message ${userName(uid)}`, onclick: () => startConversation(uid === S.me.id ? [] : [uid]) }, "Message"))));
  if (!isConv(ch) && canPost(ch)) {
    const ws = await loadWsMembers(ch.workspace_id);
    const inCh = new Set(ids);
    const candidates = (ws || []).filter((mv) => !mv.deactivated_at && !inCh.has(mv.user.id))
      .sort((a, b) => a.user.display_name.localeCompare(b.user.display_name));
    if (candidates.length && ch.id === V.channelId && Panel.mode === "details") {
      const sel = h("select", { id: "add-member-select", "aria-label": "Person to add" },
        h("option", { value: "" }, "Choose someone…"),
        ...candidates.map((mv) => h("option", { value: mv.user.id }, `${mv.user.display_name} (@${mv.user.username})`)));
      const form = h("form", { class: "add-member" }, sel, h("button", { type: "submit", class: "btn small primary" }, "Add"));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        if (!sel.value) return;
        try {
          await api("POST", `/channels/${ch.id}/members`, { user_id: sel.value });
          toast(`${userName(sel.value)} was added.`);
          const list = S.chMembers.get(ch.id);
          if (list && !list.includes(sel.value)) list.push(sel.value);
          renderHeader();
          renderDetails();
        } catch { /* toast */ }
      });
      membersSection.append(h("h4", null, "Add people"), form);
    }
  }
  updatePresenceSubSoon();
}

async function loadPins() {
  const chId = V.channelId;
  const box = $("#pins-list");
  if (!chId) { box.replaceChildren(); return; }
  box.replaceChildren(h("div", { class: "history-loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading…"));
  let list;
  try { list = await api("GET", `/channels/${chId}/pins`); } catch { box.replaceChildren(); return; }
  if (chId !== V.channelId || Panel.mode !== "pins") return;
  if (!list.length) {
    box.replaceChildren(h("p", { class: "empty" }, "Nothing is pinned here yet. Pin a message from its actions to keep it handy."));
    return;
  }
  box.replaceChildren(...list.map((m) => {
    const aid = authorId(m);
    const body = h("div", { class: "msg-body" });
    body.innerHTML = m.html; // MessageView.html — sanitised by the server
    decorateBody(body);
    const when = toDate(m.created_at);
    return h("article", { class: "pin-item", "data-testid": "pinned-message", "data-message-id": m.id },
      h("div", { class: "result-meta" },
        avatar(aid, m.author ? m.author.display_name : "?", "xs"),
        h("span", { class: "result-author" }, aid ? userName(aid, m.author.display_name) : "Unknown"),
        h("time", { class: "result-time", datetime: when.toISOString(), title: fmtFull(when) }, fmtWhen(when))),
      body,
      m.files && m.files.length ? h("p", { class: "muted" }, `${m.files.length} attachment${m.files.length === 1 ? "" : "s"}`) : null,
      h("div", { class: "pin-actions" },
        h("button", { type: "button", class: "link-btn", onclick: () => jumpToMessage(m) }, "Jump to message"),
        canPost(S.channels.get(chId)) ? h("button", { type: "button", class: "link-btn", onclick: () => togglePin(m.id, true).then(loadPins) }, "Unpin") : null));
  }));
}
const loadPinsSoon = debounce(() => { if (Panel.mode === "pins") loadPins(); }, 300);

// ─────────────────────────────────────────────────────────────────────────────
// 19. Settings dialog
// ─────────────────────────────────────────────────────────────────────────────

function openSettings() {
  const d = $("#settings-dialog");
  $("#set-name").value = S.me.display_name;
  const st = S.me.status;
  $("#set-status-emoji").value = (st && st.emoji) || "";
  $("#set-status-text").value = (st && st.text) || "";
  $("#profile-error").hidden = true;
  $("#set-dnd").checked = S.myStatus === "dnd";
  const theme = store.get(LS_THEME) || "system";
  for (const r of $$('input[name="theme"]', d)) r.checked = r.value === theme;
  renderNotifySettings();
  const ch = S.channels.get(V.channelId);
  const sec = $("#set-channel-section");
  sec.hidden = !(ch && ch.membership);
  if (ch && ch.membership) {
    $("#set-channel-h").textContent = `Notifications for ${channelLabel(ch)}`;
    $("#set-channel-controls").replaceChildren(notifyControls(ch, "settings"));
  }
  d.showModal();
}

function renderNotifySettings() {
  const state = $("#notify-state");
  const btn = $("#notify-enable");
  const row = $("#notify-toggle-row");
  if (!("Notification" in window)) {
    state.textContent = "This browser does not support desktop notifications.";
    btn.hidden = true; row.hidden = true;
    return;
  }
  const perm = Notification.permission;
  if (perm === "granted") {
    state.textContent = "Parley may show notifications. Channel settings and do not disturb decide which.";
    btn.hidden = true; row.hidden = false;
    $("#notify-toggle").checked = store.get(LS_NOTIFY) === "1";
  } else if (perm === "denied") {
    state.textContent = "Notifications are blocked for this site. Allow them in the browser's site settings.";
    btn.hidden = true; row.hidden = true;
  } else {
    state.textContent = "Get a notification for mentions and direct messages while Parley is in the background.";
    btn.hidden = false; row.hidden = true;
  }
}

function bindSettings() {
  $("#profile-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = $("#set-name").value.trim();
    const emoji = $("#set-status-emoji").value.trim();
    const text = $("#set-status-text").value.trim();
    const err = $("#profile-error");
    err.hidden = true;
    if (!name) { err.textContent = "Your display name cannot be empty."; err.hidden = false; return; }
    const body = { display_name: name, status: emoji || text ? { text: text || null, emoji: emoji || null } : null };
    try {
      const me = await api("PATCH", "/me", body, { quiet: true });
      applyMe(me);
      toast("Profile saved.");
    } catch (ex) {
      err.textContent = ex.message;
      err.hidden = false;
    }
  });
  $("#clear-status").addEventListener("click", async () => {
    try {
      const me = await api("PATCH", "/me", { status: null });
      applyMe(me);
      $("#set-status-emoji").value = "";
      $("#set-status-text").value = "";
      toast("Status cleared.");
    } catch { /* toast */ }
  });
  $("#set-dnd").addEventListener("change", async (e) => {
    const dnd = e.target.checked;
    try {
      const r = await api("PUT", "/me/presence", { dnd });
      setPresence(S.me.id, r.status);
    } catch { e.target.checked = !dnd; }
  });
  for (const r of $$('#settings-dialog input[name="theme"]')) {
    r.addEventListener("change", () => {
      if (!r.checked) return;
      store.set(LS_THEME, r.value === "system" ? null : r.value);
      applyTheme(r.value);
    });
  }
  $("#notify-enable").addEventListener("click", async () => {
    try {
      const perm = await Notification.requestPermission();
      if (perm === "granted") {
        store.set(LS_NOTIFY, "1");
        new Notification("Notifications are on", { body: "You will be notified about mentions and direct messages." });
      }
    } catch { /* older browsers */ }
    renderNotifySettings();
  });
  $("#notify-toggle").addEventListener("change", (e) => store.set(LS_NOTIFY, e.target.checked ? "1" : "0"));
  $("#sign-out").addEventListener("click", signOut);
}

function applyMe(me) {
  S.me = me;
  rememberUser(me);
  S.viewRev++;
  renderMe();
  renderAllSoon();
}

async function signOut() {
  RT.stopped = true;
  try { await api("POST", "/auth/logout", undefined, { quiet: true }); } catch { /* leaving anyway */ }
  goLogin();
}

// ─────────────────────────────────────────────────────────────────────────────
// 20. Other dialogs — create channel, browse, new conversation, confirm, prompt
// ─────────────────────────────────────────────────────────────────────────────

function confirmDialog(message, { confirm = "Delete", title = "Are you sure?", danger = true } = {}) {
  const d = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = message;
  const ok = $("#confirm-ok");
  ok.textContent = confirm;
  ok.className = cls("btn", danger ? "danger" : "primary");
  d.returnValue = "";
  return new Promise((resolve) => {
    d.addEventListener("close", () => resolve(d.returnValue === "ok"), { once: true });
    d.showModal();
    ok.focus();
  });
}

function promptDialog(title, label, value, { maxlength = 250, ok = "Save" } = {}) {
  const d = $("#prompt-dialog");
  $("#prompt-title").textContent = title;
  $("#prompt-label").textContent = label;
  $("#prompt-ok").textContent = ok;
  const input = $("#prompt-input");
  input.value = value;
  input.maxLength = maxlength;
  d.returnValue = "";
  return new Promise((resolve) => {
    d.addEventListener("close", () => resolve(d.returnValue === "ok" ? input.value.trim() : null), { once: true });
    d.showModal();
    input.select();
  });
}

function openCreateChannel() {
  if (!S.wsId) return;
  $("#create-form").reset();
  $("#create-error").hidden = true;
  $("#create-dialog").showModal();
  $("#create-name").focus();
}

function bindCreateChannel() {
  const nameInput = $("#create-name");
  nameInput.addEventListener("input", () => {
    // Suggest the slug form as you type (the server lower-cases and validates).
    const v = nameInput.value;
    const slug = v.toLowerCase().replace(/\s+/g, "-").replace(/^#/, "");
    if (slug !== v) {
      const pos = nameInput.selectionStart;
      nameInput.value = slug;
      nameInput.setSelectionRange(pos, pos);
    }
  });
  $("#create-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = $("#create-error");
    err.hidden = true;
    const name = nameInput.value.trim();
    if (!name) { err.textContent = "Give the channel a name."; err.hidden = false; nameInput.focus(); return; }
    const body = { name, private: $("#create-private").checked, topic: $("#create-topic").value.trim() };
    try {
      const v = await api("POST", `/workspaces/${S.wsId}/channels`, body, { quiet: true });
      mergeChannel(v);
      S.browse.delete(S.wsId);
      $("#create-dialog").close();
      renderSidebar();
      go(v.workspace_id, v.id);
    } catch (ex) {
      err.textContent = ex.code === "already_exists" ? "A channel with that name already exists." : ex.message;
      err.hidden = false;
    }
  });
}

async function openBrowse() {
  if (!S.wsId) return;
  const d = $("#browse-dialog");
  $("#browse-filter").value = "";
  $("#browse-list").replaceChildren(h("li", { class: "muted pad" }, "Loading channels…"));
  d.showModal();
  $("#browse-filter").focus();
  S.browse.delete(S.wsId);
  const list = await loadBrowse(S.wsId);
  renderBrowse(list);
}

function renderBrowse(list) {
  const q = $("#browse-filter").value.trim().toLowerCase().replace(/^#/, "");
  const rows = (list || S.browse.get(S.wsId) || [])
    .filter((c) => !q || (c.name || "").includes(q) || (c.topic || "").toLowerCase().includes(q))
    .map((c) => {
      const joined = !!(S.channels.get(c.id) && S.channels.get(c.id).membership) || !!c.membership;
      const open = () => { $("#browse-dialog").close(); go(c.workspace_id, c.id); };
      return h("li", { class: "browse-row", "data-testid": "browse-item", "data-channel-id": c.id },
        h("button", { type: "button", class: "browse-main", onclick: open },
          h("span", { class: "browse-name" }, icon("hash", "ch-icon"), c.name, joined ? h("span", { class: "tag" }, "joined") : null),
          h("span", { class: "browse-sub" }, [c.member_count != null ? `${c.member_count} member${c.member_count === 1 ? "" : "s"}` : "", c.topic || c.purpose || ""].filter(Boolean).join(" · "))),
        joined
          ? h("button", { type: "button", class: "btn small", onclick: open }, "Open")
          : h("button", {
            type: "button", class: "btn small primary", "data-testid": "browse-join",
            onclick: async (e) => {
              e.currentTarget.disabled = true;
              try { await api("POST", `/channels/${c.id}/join`); } catch { e.currentTarget.disabled = false; return; }
              await ensureChannel(c.id, false, true);
              $("#browse-dialog").close();
              go(c.workspace_id, c.id);
            },
          }, "Join"));
    });
  $("#browse-list").replaceChildren(...(rows.length ? rows : [h("li", { class: "muted pad" }, q ? "No channel matches." : "No public channels yet.")]));
}

const DM = { selected: [] };

async function openNewConversation() {
  if (!S.wsId) return;
  DM.selected = [];
  $("#dm-filter").value = "";
  $("#dm-error").hidden = true;
  $("#dm-people").replaceChildren(h("li", { class: "muted pad" }, "Loading people…"));
  renderDmChips();
  $("#dm-dialog").showModal();
  $("#dm-filter").focus();
  await loadWsMembers(S.wsId);
  renderDmList();
}

function renderDmChips() {
  $("#dm-chips").replaceChildren(...DM.selected.map((id) => h("span", { class: "chip" }, userName(id),
    h("button", { type: "button", class: "chip-x", "aria-label": `Remove ${userName(id)}`, onclick: () => { DM.selected = DM.selected.filter((x) => x !== id); renderDmChips(); renderDmList(); } }, icon("x")))));
  $("#dm-start").disabled = !DM.selected.length;
  $("#dm-start").textContent = DM.selected.length > 1 ? "Start group conversation" : "Start conversation";
}

function renderDmList() {
  const ws = S.wsMembers.get(S.wsId);
  const q = $("#dm-filter").value.trim().toLowerCase();
  const people = ((ws && ws.list) || [])
    .filter((mv) => !mv.deactivated_at && mv.user.id !== S.me.id)
    .map((mv) => mv.user)
    .filter((u) => !q || u.display_name.toLowerCase().includes(q) || u.username.includes(q))
    .sort((a, b) => a.display_name.localeCompare(b.display_name))
    .slice(0, 200);
  const rows = people.map((u) => {
    const checked = DM.selected.includes(u.id);
    const box = h("input", { type: "checkbox", value: u.id, checked, "aria-label": `${u.display_name} (@${u.username})` });
    box.addEventListener("change", () => {
      if (box.checked) {
        if (DM.selected.length >= MAX_CONVERSATION) { box.checked = false; toast(`A group conversation has at most ${MAX_CONVERSATION + 1} people.`, "error"); return; }
        DM.selected.push(u.id);
      } else DM.selected = DM.selected.filter((x) => x !== u.id);
      renderDmChips();
    });
    return h("li", { "data-user-id": u.id, "data-testid": "person" },
      h("label", { class: "pick-row" }, box,
        h("span", { class: "avatar-wrap" }, avatar(u.id, u.display_name, "sm"), presenceDot(u.id)),
        h("span", { class: "member-text" }, h("span", { class: "member-name" }, u.display_name), h("span", { class: "member-sub" }, `@${u.username}`))));
  });
  const self = !q || S.me.display_name.toLowerCase().includes(q) || "note to self".includes(q)
    ? [h("li", null, h("button", { type: "button", class: "pick-row as-button", onclick: () => { $("#dm-dialog").close(); startConversation([]); } },
      h("span", { class: "avatar-wrap" }, avatar(S.me.id, S.me.display_name, "sm")),
      h("span", { class: "member-text" }, h("span", { class: "member-name" }, `${S.me.display_name} (you)`), h("span", { class: "member-sub" }, "Notes to self"))))]
    : [];
  $("#dm-people").replaceChildren(...self, ...rows);
  if (!rows.length && !self.length) $("#dm-people").append(h("li", { class: "muted pad" }, "Nobody matches."));
  updatePresenceSubSoon();
}

function bindNewConversation() {
  $("#dm-filter").addEventListener("input", renderDmList);
  $("#dm-filter").addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") { e.preventDefault(); const first = $("#dm-people input, #dm-people button"); if (first) first.focus(); }
  });
  $("#dm-people").addEventListener("keydown", (e) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const items = $$("#dm-people input, #dm-people button.pick-row");
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    const j = i + (e.key === "ArrowDown" ? 1 : -1);
    if (j < 0) $("#dm-filter").focus(); else if (items[j]) items[j].focus();
  });
  $("#dm-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!DM.selected.length) return;
    const ok = await startConversation(DM.selected.slice(), true);
    if (ok) $("#dm-dialog").close();
  });
}

/** Gets or creates the conversation with exactly these people and opens it. */
async function startConversation(userIds, fromDialog = false) {
  if (!S.wsId) return false;
  try {
    const v = await api("POST", `/workspaces/${S.wsId}/conversations`, { user_ids: userIds.filter((id) => id !== S.me.id) }, { quiet: fromDialog });
    mergeChannel(v);
    ensureUsers(v.conversation_members || []);
    renderSidebar();
    updatePresenceSubSoon();
    go(v.workspace_id, v.id);
    return true;
  } catch (e) {
    if (fromDialog) { $("#dm-error").textContent = e.message; $("#dm-error").hidden = false; }
    return false;
  }
}

// ─────────────────────────────────────────────────────────────────────────────
// 21. Quick switcher (Ctrl+K / Cmd+K)
// ─────────────────────────────────────────────────────────────────────────────

const Switcher = {
  items: [],
  index: 0,

  open() {
    const d = $("#switcher-dialog");
    if (d.open) return;
    $("#switcher-input").value = "";
    this.update();
    d.showModal();
    $("#switcher-input").focus();
  },

  candidates() {
    const multi = S.workspaces.length > 1;
    const out = [];
    for (const ch of S.channels.values()) {
      if (!ch.membership) continue;
      const ws = S.workspaces.find((w) => w.id === ch.workspace_id);
      const label = channelLabel(ch);
      out.push({ kind: "channel", ch, label, match: label.replace(/^#/, ""),
        sub: multi && ws ? ws.name : isConv(ch) ? (ch.kind === "group" ? "Group conversation" : "Direct message") : ch.topic || "",
        recency: String(ch.last_message_at || ch.created_at || "") });
    }
    const dmWith = new Set();
    for (const ch of channelsOf(S.wsId)) if (ch.kind === "direct") { const o = convOthers(ch)[0]; if (o) dmWith.add(o); }
    const wm = S.wsMembers.get(S.wsId);
    for (const mv of (wm && wm.list) || []) {
      const u = mv.user;
      if (mv.deactivated_at || u.id === S.me.id || dmWith.has(u.id)) continue;
      out.push({ kind: "user", user: u, label: u.display_name, match: `${u.display_name} ${u.username}`, sub: `@${u.username}`, recency: "" });
    }
    return out;
  },

  update() {
    const q = $("#switcher-input").value.trim().replace(/^[#@]/, "");
    let list = this.candidates();
    if (!q) {
      list = list.filter((i) => i.kind === "channel")
        .sort((a, b) => (isUnread(b.ch) - isUnread(a.ch)) || b.recency.localeCompare(a.recency))
        .slice(0, 30);
    } else {
      list = list.map((i) => ({ i, s: fuzzy(q, i.match) }))
        .filter((x) => x.s >= 0)
        .sort((a, b) => b.s - a.s || (a.i.kind === "channel" ? -1 : 1))
        .slice(0, 30)
        .map((x) => x.i);
    }
    this.items = list;
    this.index = 0;
    this.render();
  },

  render() {
    const ul = $("#switcher-list");
    ul.replaceChildren(...this.items.map((it, i) => h("li", {
      id: `sw-${i}`, role: "option", class: cls("sw-item", i === this.index && "selected"), "aria-selected": String(i === this.index),
      "data-testid": "switcher-item",
      onmousedown: (e) => e.preventDefault(), onclick: () => this.choose(i),
    },
    it.kind === "channel" ? channelIcon(it.ch) : h("span", { class: "avatar-wrap" }, avatar(it.user.id, it.user.display_name, "xs")),
    h("span", { class: cls("sw-label", it.kind === "channel" && isUnread(it.ch) && "unread") }, it.label),
    it.sub ? h("span", { class: "sw-sub" }, it.sub) : null,
    it.kind === "channel" && badgeCount(it.ch) ? h("span", { class: "badge" }, String(badgeCount(it.ch))) : null)));
    if (!this.items.length) ul.append(h("li", { class: "sw-empty", role: "presentation" }, "No matches"));
    const input = $("#switcher-input");
    if (this.items.length) input.setAttribute("aria-activedescendant", `sw-${this.index}`);
    else input.removeAttribute("aria-activedescendant");
    const sel = ul.children[this.index];
    if (sel) sel.scrollIntoView({ block: "nearest" });
  },

  move(d) {
    if (!this.items.length) return;
    this.index = (this.index + d + this.items.length) % this.items.length;
    this.render();
  },

  choose(i) {
    const it = this.items[i];
    if (!it) return;
    $("#switcher-dialog").close();
    if (it.kind === "channel") go(it.ch.workspace_id, it.ch.id);
    else startConversation([it.user.id]);
  },

  bind() {
    const input = $("#switcher-input");
    input.addEventListener("input", () => this.update());
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown") { e.preventDefault(); this.move(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); this.move(-1); }
      else if (e.key === "Enter") { e.preventDefault(); this.choose(this.index); }
    });
  },
};

// ─────────────────────────────────────────────────────────────────────────────
// 22. Realtime — one WebSocket, resume from the last position, backoff + jitter
// ─────────────────────────────────────────────────────────────────────────────

const RT = {
  sock: null,
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

function rtConnect() {
  clearTimeout(RT.retryTimer);
  RT.retryTimer = 0;
  if (RT.stopped) return;
  if (RT.sock && (RT.sock.readyState === WebSocket.OPEN || RT.sock.readyState === WebSocket.CONNECTING)) return;
  const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${API}/ws`;
  let sock;
  try { sock = new WebSocket(url); } catch { rtScheduleReconnect(); return; }
  RT.sock = sock;
  sock.onopen = () => {
    const hello = { type: "hello" };
    if (RT.lastPos != null) hello.resume_from = RT.lastPos;
    sock.send(JSON.stringify(hello));
  };
  sock.onmessage = (ev) => {
    if (sock !== RT.sock) return;
    let f;
    try { f = JSON.parse(ev.data); } catch { return; }
    rtFrame(f);
  };
  sock.onclose = (ev) => { if (sock === RT.sock) rtClosed(ev.code); };
  sock.onerror = () => { /* a close event follows */ };
}

/** Abandons a socket that stopped answering pings, without waiting for its close. */
function rtDrop() {
  const s = RT.sock;
  if (!s) return;
  s.onopen = s.onmessage = s.onclose = s.onerror = null;
  try { s.close(4000, "no pong"); } catch { /* already closing */ }
  rtClosed(4011);
}

function rtClosed(code) {
  RT.sock = null;
  RT.connected = false;
  clearInterval(RT.pingTimer);
  RT.pingTimer = 0;
  for (const fn of RT.waiters.splice(0)) fn(); // boot stops waiting: load over REST now
  if (RT.stopped) return;
  if (code === 4010) { // account deactivated
    RT.stopped = true;
    showReconnecting(false);
    toast("This account has been deactivated.", "error");
    setTimeout(goLogin, 1500);
    return;
  }
  showReconnecting(true);
  if (code === 4001) {
    // Signed out — or sessions were revoked elsewhere and this one still works.
    api("GET", "/me", undefined, { quiet: true }).then(() => rtScheduleReconnect(), (e) => { if (e.status !== 401) rtScheduleReconnect(); });
    return;
  }
  rtScheduleReconnect(code === 1013 ? 2000 : 0);
}

function rtScheduleReconnect(minDelay = 0) {
  if (RT.stopped || RT.retryTimer) return;
  const base = Math.min(30000, 500 * 2 ** Math.min(RT.attempt, 6));
  const delay = Math.max(minDelay, Math.round(base / 2 + Math.random() * (base / 2))); // "equal jitter"
  RT.attempt++;
  RT.retryTimer = setTimeout(() => { RT.retryTimer = 0; rtConnect(); }, delay);
}

function rtReconnectNow() {
  if (RT.connected || RT.stopped) return;
  RT.attempt = 0;
  rtConnect();
}

function rtPing() {
  if (RT.pingPending) { rtDrop(); return; }
  RT.pingPending = true;
  RT.send({ type: "ping", nonce: ++RT.pingNonce });
}

function rtFrame(f) {
  switch (f.type) {
    case "ready": rtReady(f); return;
    case "resync_required":
      RT.lastPos = f.pos;
      RT.resyncPending = true;
      if (S.booted) resync();
      return;
    case "pong": RT.pingPending = false; return;
    case "presence.snapshot": for (const u of f.users || []) setPresence(u.user_id, u.status); return;
    case "error":
      if (f.code !== "channel_not_found") console.warn("parley realtime:", f.code);
      return;
    default: break;
  }
  if (f.pos != null) {
    if (RT.lastPos != null && f.pos <= RT.lastPos) return; // seen already
    RT.lastPos = f.pos;
  }
  if (S.hold > 0 || !S.booted) S.queue.push(f);
  else applyEvent(f);
}

function rtReady(f) {
  RT.connected = true;
  RT.attempt = 0;
  if (RT.lastPos == null || f.pos > RT.lastPos) RT.lastPos = f.pos;
  showReconnecting(false);
  RT.subKey = "";
  updatePresenceSub();
  clearInterval(RT.pingTimer);
  RT.pingPending = false;
  RT.pingTimer = setInterval(rtPing, PING_MS);
  // Connected without resuming after the UI loaded (e.g. the first socket only came up
  // after boot gave up waiting): what happened meanwhile is unknown, so reload.
  const needResync = S.booted && !f.resumed && !RT.resyncPending;
  RT.resyncPending = false;
  RT.everConnected = true;
  for (const fn of RT.waiters.splice(0)) fn();
  if (needResync) resync();
}

function waitReady(ms) {
  if (RT.connected) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    RT.waiters.push(() => { clearTimeout(t); resolve(); });
  });
}

let reconnectShowTimer = 0;
function showReconnecting(on) {
  const bar = $("#reconnecting");
  if (!bar) return;
  clearTimeout(reconnectShowTimer);
  if (!on) { bar.hidden = true; document.body.classList.remove("offline"); return; }
  bar.hidden = false;
  document.body.classList.add("offline");
  $("#reconnecting-text").textContent = navigator.onLine === false ? "You are offline. Reconnecting when the network is back…" : "Reconnecting…";
}

/** resync_required (or an unresumed reconnect): reload what is on screen from REST. */
let resyncing = null;
function resync() {
  if (resyncing) return resyncing;
  hold();
  resyncing = (async () => {
    try {
      await loadWorkspaces();
      S.chMembers.clear();
      S.viewRev++;
      renderSidebar();
      if (V.channelId && S.channels.has(V.channelId)) {
        const keep = V.unreadAfter;
        await openChannelView(V.channelId, {});
        V.unreadAfter = keep;
      } else if (V.channelId) {
        route();
      }
      if (T.rootId) openThread(T.rootId, { focus: false });
      if (Panel.mode === "details" || Panel.mode === "pins") Panel.refresh();
    } catch { /* a toast said why; the next event or reconnect tries again */ } finally {
      release();
      resyncing = null;
    }
  })();
  return resyncing;
}

function sendTyping(chId, rootId) {
  const key = `${chId}|${rootId || ""}`;
  const now = Date.now();
  if (now - (RT.typingSent.get(key) || 0) < TYPING_SEND_MS) return;
  RT.typingSent.set(key, now);
  RT.send({ type: "typing", channel_id: chId, thread_root_id: rootId || null });
}

function noteActivity() {
  const now = Date.now();
  if (!RT.connected || now - RT.activityAt < ACTIVITY_MS) return;
  RT.activityAt = now;
  RT.send({ type: "activity" });
}

// ─────────────────────────────────────────────────────────────────────────────
// 23. Event handlers
// ─────────────────────────────────────────────────────────────────────────────

function drainEvents() {
  while (S.queue.length && !S.hold) {
    const ev = S.queue.shift();
    applyEvent(ev);
  }
}

function applyEvent(ev) {
  const fn = EVENTS[ev.type];
  if (!fn) return;
  try { fn(ev); } catch (err) { console.error("parley: event", ev.type, err); }
}

const EVENTS = {
  "message.created": (e) => onMessageCreated(e.data, false),
  "message.edited": (e) => applyMessageUpdate(e.data),
  "message.deleted": (e) => onMessageDeleted(e.data),
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
  "read.updated": (e) => applyRead(e.data.channel_id, e.data.last_read_seq),
  "user.updated": (e) => onUserUpdated(e.data),
  "workspace.member_added": (e) => onWorkspaceMemberAdded(e.workspace_id, e.data),
  "workspace.member_removed": (e) => onWorkspaceMemberRemoved(e.workspace_id, e.data),
  "user.deactivated": (e) => {
    if (e.data.user_id === S.me.id) { RT.stopped = true; toast("This account has been deactivated.", "error"); setTimeout(goLogin, 1500); }
  },
  "user.sessions_revoked": () => { /* the socket closes with 4001; rtClosed checks the session */ },
  typing: (e) => onTyping(e),
  "presence.changed": (e) => setPresence(e.data.user_id, e.data.status),
};

/** A new message, from an event or from our own POST (local = true). Idempotent. */
function onMessageCreated(m, local) {
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
      } else if (isNew && !local) {
        // Arriving in the conversation on screen: it is read at once (maybeMarkRead below).
        const onScreen = V.channelId === ch.id && pageFocused() && V.list.stick && !V.hasMoreAfter && !V.loading;
        if (!onScreen) {
          if (!m.thread_root_id) mem.unread_count = (mem.unread_count || 0) + 1;
          if (mentionsMe(m)) mem.mention_count = (mem.mention_count || 0) + 1;
          maybeNotify(ch, m);
        }
      }
    }
    renderSidebarSoon();
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

/** An edited message (event or PATCH answer); an older copy never replaces a newer one. */
function applyMessageUpdate(m) {
  for (const list of [V.list, T.list]) {
    const old = list.get(m.id);
    if (!old) continue;
    if (old.edited_at && m.edited_at && m.edited_at < old.edited_at) continue;
    if (old.deleted && !m.deleted) continue;
    list.upsert(m);
  }
}

function onMessageDeleted(d) {
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

function onTyping(e) {
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

function clearTyping(chId, uid) {
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

function renderTyping() {
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

// ─────────────────────────────────────────────────────────────────────────────
// 24. Notifications & title
// ─────────────────────────────────────────────────────────────────────────────

function notificationsOn() {
  return "Notification" in window && Notification.permission === "granted" && store.get(LS_NOTIFY) === "1";
}

/**
 * A desktop notification for a new message while Parley is in the background.
 * Level "default" means every message in direct/group conversations and mentions
 * in channels; muted conversations and do-not-disturb never notify.
 */
function maybeNotify(ch, m) {
  if (!notificationsOn() || pageFocused() || S.myStatus === "dnd") return;
  const mem = ch.membership;
  if (!mem || mem.muted) return;
  let level = mem.notify_level || "default";
  if (level === "default") level = isConv(ch) ? "all" : "mentions";
  if (level === "none") return;
  if (level === "mentions" && !mentionsMe(m)) return;
  const who = userName(authorId(m), m.author ? m.author.display_name : "Someone");
  const title = isConv(ch) ? (ch.kind === "group" ? `${who} in ${channelLabel(ch)}` : who) : `${who} in #${ch.name}`;
  let body = String(m.text || "").replace(/\s+/g, " ").trim();
  if (!body && m.files && m.files.length) body = m.files.length === 1 ? `Shared ${m.files[0].name}` : `Shared ${m.files.length} files`;
  if (body.length > 180) body = `${body.slice(0, 177)}…`;
  try {
    const n = new Notification(title, { body, tag: m.id });
    n.onclick = () => {
      window.focus();
      n.close();
      jumpToMessage(m);
    };
  } catch { /* notifications unsupported here */ }
}

function updateTitle() {
  let total = 0;
  for (const ch of S.channels.values()) if (ch.membership && !(ch.membership.muted && !ch.membership.mention_count)) total += badgeCount(ch);
  const ch = S.channels.get(V.channelId);
  const label = ch ? channelLabel(ch) : "";
  const title = `${total ? `(${total}) ` : ""}${label ? `${label} — ` : ""}${S.siteName}`;
  if (document.title !== title) document.title = title;
}

const renderAllSoon = batched(() => {
  renderSidebar();
  renderHeader();
  V.list.schedule();
  T.list.schedule();
  if (Panel.mode === "details") renderDetails();
}, 50);

// ─────────────────────────────────────────────────────────────────────────────
// 25. Keyboard, focus, responsive drawer
// ─────────────────────────────────────────────────────────────────────────────

function openDrawer() {
  document.body.classList.add("sidebar-open");
  $("#backdrop").hidden = false;
  $("#sidebar-toggle").setAttribute("aria-expanded", "true");
  const active = $("#sidebar .channel-item.active") || $("#sidebar .channel-item");
  if (active) active.focus();
}

function closeDrawer() {
  if (!document.body.classList.contains("sidebar-open")) return;
  document.body.classList.remove("sidebar-open");
  $("#backdrop").hidden = true;
  $("#sidebar-toggle").setAttribute("aria-expanded", "false");
}

function onGlobalKey(e) {
  noteActivity();
  const key = e.key;
  if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && (key === "k" || key === "K")) {
    e.preventDefault();
    if (!$("#switcher-dialog").open) { for (const d of $$("dialog[open]")) d.close(); Switcher.open(); }
    return;
  }
  if (e.altKey && !e.ctrlKey && !e.metaKey && (key === "ArrowUp" || key === "ArrowDown")) {
    e.preventDefault();
    stepChannel(key === "ArrowDown" ? 1 : -1);
    return;
  }
  if (key === "Escape" && !e.defaultPrevented) {
    if ($("dialog[open]")) return; // a modal closes itself
    if (EmojiPicker.isOpen()) { EmojiPicker.close(); return; }
    if (Edit.id) { cancelEdit(); return; }
    if (document.body.classList.contains("sidebar-open")) { closeDrawer(); $("#sidebar-toggle").focus(); return; }
    if (Panel.mode) { Panel.close(); return; }
    if (document.activeElement === $("#search-input") && $("#search-input").value) { $("#search-input").value = ""; return; }
  }
}

/** Arrow keys move between conversations in the sidebar. */
function onSidebarKey(e) {
  if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(e.key) || e.altKey) return;
  const items = $$("#sidebar .channel-item");
  const i = items.indexOf(document.activeElement);
  if (i < 0) return;
  e.preventDefault();
  let j = i;
  if (e.key === "ArrowDown") j = Math.min(items.length - 1, i + 1);
  else if (e.key === "ArrowUp") j = Math.max(0, i - 1);
  else if (e.key === "Home") j = 0;
  else j = items.length - 1;
  items[j].focus();
}

// ─────────────────────────────────────────────────────────────────────────────
// 26. Boot
// ─────────────────────────────────────────────────────────────────────────────

async function loadWorkspaces() {
  const list = await api("GET", "/workspaces");
  const lists = await Promise.all(list.map((w) => api("GET", `/workspaces/${w.id}/channels`, undefined, { quiet: true }).catch(() => [])));
  const fresh = new Map();
  for (const c of lists.flat()) fresh.set(c.id, c);
  const cur = S.channels.get(V.channelId);
  if (cur && !cur.membership && !fresh.has(cur.id)) fresh.set(cur.id, cur); // a previewed public channel
  S.workspaces = list;
  S.channels = fresh;
  const ids = new Set();
  for (const c of fresh.values()) for (const u of c.conversation_members || []) ids.add(u);
  return [...ids];
}

function bindUI() {
  // The skip link must not touch location.hash (the router owns it).
  $(".skip-link").addEventListener("click", (e) => { e.preventDefault(); mainComposer.focus(); });
  document.addEventListener("keydown", onGlobalKey);
  document.addEventListener("pointerdown", noteActivity, { passive: true });
  $("#sidebar").addEventListener("keydown", onSidebarKey);
  $("#sidebar").addEventListener("click", (e) => { if (e.target.closest(".channel-item")) closeDrawer(); });
  $("#sidebar-toggle").addEventListener("click", () => (document.body.classList.contains("sidebar-open") ? closeDrawer() : openDrawer()));
  $("#backdrop").addEventListener("click", closeDrawer);
  $("#ws-select").addEventListener("change", (e) => {
    const ws = e.target.value;
    const d = defaultChannel(ws);
    go(ws, d ? d.id : null);
  });
  $("#create-channel-btn").addEventListener("click", openCreateChannel);
  $("#browse-btn").addEventListener("click", openBrowse);
  $("#browse-filter").addEventListener("input", () => renderBrowse());
  $("#new-dm-btn").addEventListener("click", openNewConversation);
  $("#me-btn").addEventListener("click", openSettings);
  $("#switcher-btn").addEventListener("click", () => Switcher.open());
  $("#channel-topic").addEventListener("click", editTopic);
  $("#members-btn").addEventListener("click", () => Panel.toggle("details"));
  $("#pins-btn").addEventListener("click", () => Panel.toggle("pins"));
  $("#panel-close").addEventListener("click", () => Panel.close());
  $("#unread-jump").addEventListener("click", jumpToUnread);
  $("#unread-dismiss").addEventListener("click", () => { V.unreadDismissed = true; updateJumpButtons(); });
  $("#jump-latest").addEventListener("click", jumpToLatest);
  $("#reconnect-now").addEventListener("click", rtReconnectNow);
  $("#search-form").addEventListener("submit", (e) => { e.preventDefault(); runSearch($("#search-input").value); });
  $("#search-sort").addEventListener("change", (e) => { SR.sort = e.target.value; if (SR.q) runSearch(SR.q); });
  $("#search-more").addEventListener("click", () => runSearch(SR.q, SR.page + 1));
  for (const d of $$("dialog")) {
    d.addEventListener("click", (e) => { if (e.target === d) d.close(); }); // backdrop click
  }
  document.addEventListener("click", (e) => {
    const b = e.target.closest("[data-close]");
    if (b) { const d = b.closest("dialog"); if (d) d.close(); }
  });
  $("#dm-dialog").addEventListener("close", updatePresenceSubSoon);
  bindSettings();
  bindCreateChannel();
  bindNewConversation();
  Switcher.bind();
  // Files dropped outside a drop zone must not navigate away from the app.
  document.addEventListener("dragover", (e) => { if (hasFiles(e)) e.preventDefault(); });
  document.addEventListener("drop", (e) => { if (hasFiles(e)) e.preventDefault(); });
  bindDropZone($("#main"), $("#drop-overlay"), () => (canPost(S.channels.get(V.channelId)) ? mainComposer : null));
  bindDropZone($("#thread-view"), $("#thread-drop-overlay"), () => (T.rootId ? threadComposer : null));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") { maybeMarkRead(); if (!RT.connected) rtReconnectNow(); noteActivity(); }
  });
  window.addEventListener("focus", () => { maybeMarkRead(); noteActivity(); });
  window.addEventListener("online", () => { showReconnecting(!RT.connected); rtReconnectNow(); });
  window.addEventListener("offline", () => { if (!RT.connected) showReconnecting(true); });
  window.addEventListener("hashchange", route);
}

async function boot() {
  S.siteName = document.body.dataset.siteName || "Parley";
  hydrateIcons(document);
  V.list = new MessageList($("#message-list"), $("#scroller"), "channel");
  V.list.onScroll = onMainScroll;
  V.list.onRender = () => updateJumpButtons();
  T.list = new MessageList($("#thread-list"), $("#thread-scroller"), "thread");
  T.list.onRender = () => { if (T.rootId) { renderThreadComposerState(); } };
  mainComposer = new Composer($("#composer-slot"), "channel");
  threadComposer = new Composer($("#thread-composer-slot"), "thread");
  bindUI();

  try {
    S.me = await api("GET", "/me", undefined, { quiet: true });
  } catch (e) {
    if (e.status !== 401) bootFailed(e);
    return;
  }
  rememberUser(S.me);
  renderMe();
  rtConnect();
  await waitReady(BOOT_WS_WAIT_MS);
  hold();
  try {
    const convMembers = await loadWorkspaces();
    const { ws } = parseHash();
    S.wsId = S.workspaces.some((w) => w.id === ws) ? ws : (S.workspaces[0] || {}).id || null;
    if (S.wsId) await loadWsMembers(S.wsId);
    for (const w of S.workspaces) if (w.id !== S.wsId) loadWsMembers(w.id);
    ensureUsers(convMembers);
    S.booted = true;
  } catch (e) {
    S.hold = 0;
    bootFailed(e);
    return;
  } finally {
    release();
  }
  document.body.classList.remove("is-loading");
  renderSidebar();
  updatePresenceSub();
  if (!RT.connected) showReconnecting(true);
  await route();
}

function bootFailed(e) {
  document.body.classList.remove("is-loading");
  const loader = $("#boot-loader");
  loader.hidden = false;
  loader.classList.add("failed");
  loader.replaceChildren(h("p", null, `Parley could not load: ${e.message || "unknown error"}`),
    h("button", { type: "button", class: "btn primary", onclick: () => location.reload() }, "Try again"));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot, { once: true });
else boot();

})();
