/*
 * Sending, and the outbox. A message shows at once as a pending copy with a
 * client_msg_id; the server's message replaces it (from the POST answer or the event,
 * whichever comes first). A send that cannot reach the server (offline, a network
 * error, a timeout, a 5xx) stays in the list as "not sent yet" and goes again by
 * itself, with the same client_msg_id, when the connection is back (the server answers
 * a repeat with the message it already has, so nothing is posted twice); oldest first.
 * Any other refusal is final: the message stays, marked, with Retry and Discard.
 */

import { toastError } from "./toast.js";
import { api } from "./api.js";
import { hooks } from "./hooks.js";
import { S } from "./state.js";
import { refreshPendingViews } from "./messages.js";
import { onBackOnline } from "./offline.js";

const RETRY_MS = [2000, 5000, 10000, 30000];
let retryTimer = 0;
let attempt = 0;
let flushing = false;

const transient = (e) => e.status === 0 || e.status === 408 || e.status === 429 || e.status >= 500;
const waiting = () => [...S.pending.values()].filter((p) => p.status === "queued")
  .sort((a, b) => a.created_at.localeCompare(b.created_at));

/** A new message from a composer: sent now, or queued behind what already waits. */
export function sendPending(p) {
  if (navigator.onLine === false || waiting().length) { queue(p); flushOutbox(); return; }
  postPending(p);
}

/** Posts one pending message; true once it is delivered. */
export async function postPending(p) {
  p.status = "sending";
  p.error = "";
  refreshPendingViews();
  const body = { text: p.text, client_msg_id: p.client_msg_id, thread_root_id: p.thread_root_id || null, file_ids: p.files.map((f) => f.id) };
  try {
    const m = await api("POST", `/channels/${p.channel_id}/messages`, body, { quiet: true });
    S.pending.delete(p.client_msg_id);
    hooks.onMessageCreated(m, true);
    return true;
  } catch (e) {
    if (!S.pending.has(p.client_msg_id)) return true; // the event delivered it meanwhile
    if (e.status === 401) return false;
    if (transient(e)) { queue(p); return false; }
    p.status = "failed";
    p.error = e.message;
    toastError(e);
    refreshPendingViews();
    return false;
  }
}

function queue(p) {
  p.status = "queued";
  p.error = "";
  refreshPendingViews();
  scheduleRetry();
}

function scheduleRetry() {
  if (retryTimer || navigator.onLine === false) return; // offline: the online event flushes
  retryTimer = setTimeout(() => { retryTimer = 0; flushOutbox(); }, RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)]);
}

/** Sends what waits, oldest first, one at a time; stops at the first that cannot go yet. */
export async function flushOutbox() {
  if (flushing || navigator.onLine === false) return;
  flushing = true;
  clearTimeout(retryTimer);
  retryTimer = 0;
  try {
    for (const p of waiting()) {
      if (!S.pending.has(p.client_msg_id) || p.status !== "queued") continue;
      if (!(await postPending(p)) && p.status === "queued") return;
    }
    attempt = 0;
  } finally {
    flushing = false;
  }
}

export function discardPending(p) {
  S.pending.delete(p.client_msg_id);
  refreshPendingViews();
}

onBackOnline(() => { attempt = 0; flushOutbox(); });
