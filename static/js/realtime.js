/*
 * Realtime: one WebSocket (docs/realtime.md), resume from the last position,
 * backoff + jitter, pings, resync when the server says so.
 */

import { ACTIVITY_MS, API, PING_MS } from "./constants.js";
import { $ } from "./dom.js";
import { toast } from "./toast.js";
import { api, goLogin } from "./api.js";
import { hold, Panel, release, RT, S, T, V } from "./state.js";
import { setPresence, updatePresenceSub } from "./presence.js";
import { renderSidebar } from "./sidebar.js";
import { refreshPanel } from "./panel.js";
import { openThread } from "./thread.js";
import { loadWorkspaces } from "./channels.js";
import { openChannelView } from "./channel-view.js";
import { route } from "./router.js";
import { applyEvent } from "./events.js";
import { noteServerAnswered } from "./offline.js";
import { flushOutbox } from "./outbox.js";

export function rtConnect() {
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
  // Changing my password closes every socket of mine, this one too: it just reconnects.
  if (!(code === 4001 && Date.now() < RT.quietSignOutUntil)) showReconnecting(true);
  if (code === 4001) {
    // Signed out — or sessions were revoked elsewhere and this one still works.
    api("GET", "/me", undefined, { quiet: true }).then(() => rtScheduleReconnect(), (e) => { if (e.status !== 401) rtScheduleReconnect(); });
    return;
  }
  if (code === 4029) toast("Too many open tabs or devices for this account: close some. Retrying.", "error");
  rtScheduleReconnect(code === 1013 ? 2000 : code === 4029 ? 30000 : 0);
}

function rtScheduleReconnect(minDelay = 0) {
  if (RT.stopped || RT.retryTimer) return;
  const base = Math.min(30000, 500 * 2 ** Math.min(RT.attempt, 6));
  const delay = Math.max(minDelay, Math.round(base / 2 + Math.random() * (base / 2))); // "equal jitter"
  RT.attempt++;
  RT.retryTimer = setTimeout(() => { RT.retryTimer = 0; rtConnect(); }, delay);
}

export function rtReconnectNow() {
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
  noteServerAnswered();
  flushOutbox();
}

export function waitReady(ms) {
  if (RT.connected) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    RT.waiters.push(() => { clearTimeout(t); resolve(); });
  });
}

let reconnectShowTimer = 0;
export function showReconnecting(on) {
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
      if (Panel.mode === "details" || Panel.mode === "pins") refreshPanel();
    } catch { /* a toast said why; the next event or reconnect tries again */ } finally {
      release();
      resyncing = null;
    }
  })();
  return resyncing;
}

export function noteActivity() {
  const now = Date.now();
  if (!RT.connected || now - RT.activityAt < ACTIVITY_MS) return;
  RT.activityAt = now;
  RT.send({ type: "activity" });
}
