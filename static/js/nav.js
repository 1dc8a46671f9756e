/*
 * Navigation by the location hash (#/w/{workspace}/c/{channel}); router.js shows what it names.
 */

import { hooks } from "./hooks.js";
import { hashFor } from "./state.js";

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

export function parseHash() {
  const m = /^#\/w\/([0-9a-fA-F-]{36})(?:\/c\/([0-9a-fA-F-]{36}))?/.exec(location.hash || "");
  return m ? { ws: m[1].toLowerCase(), ch: m[2] ? m[2].toLowerCase() : null } : { ws: null, ch: null };
}
