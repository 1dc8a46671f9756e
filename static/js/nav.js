/*
 * Navigation by the location hash (#/w/{workspace}/c/{channel}); router.js shows what it
 * names. The last conversation open in each workspace, and the last workspace, are kept
 * per person in localStorage: opening the app without a hash goes back there.
 */

import { LS_LAST } from "./constants.js";
import { store } from "./util.js";
import { hooks } from "./hooks.js";
import { hashFor, S } from "./state.js";

let nextJump = null;

/** Navigates to a conversation; `jump` = {aroundId, highlightId, aroundSeq}. */
export function go(wsId, chId, jump) {
  nextJump = jump ? { ...jump, channelId: chId } : null;
  const target = hashFor(wsId, chId);
  if (location.hash === target) hooks.route();
  else location.hash = target;
}

/** The jump go() asked for, if it is for this conversation; route() takes it once. */
export function takeJump(chId) {
  const jump = nextJump && nextJump.channelId === chId ? nextJump : null;
  nextJump = null;
  return jump;
}

/** #/w/{ws}[/c/{ch}[/m/{message}]] — a mail's link names the message to show. */
export function parseHash() {
  const m = /^#\/w\/([0-9a-fA-F-]{36})(?:\/c\/([0-9a-fA-F-]{36})(?:\/m\/([0-9a-fA-F-]{36}))?)?/.exec(location.hash || "");
  const lower = (x) => (x ? x.toLowerCase() : null);
  return m ? { ws: lower(m[1]), ch: lower(m[2]), msg: lower(m[3]) } : { ws: null, ch: null, msg: null };
}

/** Remembers the conversation open now, for the next time the app opens. */
export function rememberOpen(wsId, chId) {
  if (!S.me || !wsId || !chId) return;
  store.set(`${LS_LAST}.${S.me.id}`, wsId);
  store.set(`${LS_LAST}.${S.me.id}.${wsId}`, chId);
}

/** The workspace open last, if I am still in it. */
export function lastWorkspace() {
  const id = S.me && store.get(`${LS_LAST}.${S.me.id}`);
  return id && S.workspaces.some((w) => w.id === id) ? id : null;
}

/** The conversation open last in a workspace, if I am still a member of it. */
export function lastChannel(wsId) {
  const id = S.me && store.get(`${LS_LAST}.${S.me.id}.${wsId}`);
  const ch = id && S.channels.get(id);
  return ch && ch.membership && ch.workspace_id === wsId ? ch : null;
}
