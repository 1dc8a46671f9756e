/*
 * The router: shows the conversation the location hash names (or a default one).
 */

import { narrow } from "./dom.js";
import { defaultChannel, hashFor, mainComposer, Panel, S } from "./state.js";
import { updatePresenceSubSoon } from "./presence.js";
import { closeDrawer, renderSidebar } from "./sidebar.js";
import { showEmpty } from "./channel-header.js";
import { loadWsMembers } from "./users.js";
import { closePanel } from "./panel.js";
import { lastChannel, parseHash, takeJump } from "./nav.js";
import { ensureChannel } from "./channels.js";
import { openChannelView } from "./channel-view.js";

let routeToken = 0;

export async function route() {
  if (!S.booted) return;
  const tok = ++routeToken;
  const { ws: hWs, ch: hCh, msg: hMsg } = parseHash();
  let chan = null;
  if (hCh) chan = S.channels.get(hCh) || await ensureChannel(hCh, true);
  if (tok !== routeToken) return;
  let ws = chan ? chan.workspace_id : hWs;
  const known = (id) => !!id && S.workspaces.some((w) => w.id === id);
  if (!known(ws)) ws = known(S.wsId) ? S.wsId : S.workspaces.length ? S.workspaces[0].id : null;
  if (!ws) { showEmpty("You are not a member of any workspace yet. Ask an administrator for an invitation link."); return; }
  if (chan && chan.workspace_id !== ws) chan = null;
  if (ws !== S.wsId) switchWorkspace(ws);
  if (!chan) chan = lastChannel(ws) || defaultChannel(ws);
  if (!chan) {
    history.replaceState(null, "", hashFor(ws, null));
    showEmpty("There are no conversations here yet. Create a channel or browse the existing ones.");
    return;
  }
  const want = hashFor(ws, chan.id);
  if (location.hash !== want) history.replaceState(null, "", want);
  const jump = takeJump(chan.id) || (hMsg && chan.id === hCh ? { aroundId: hMsg, highlightId: hMsg } : null);
  closeDrawer();
  await openChannelView(chan.id, jump || {});
  if (!narrow() && !jump && document.activeElement && !document.activeElement.closest("dialog, .panel, .search-form")) {
    mainComposer.focus();
  }
}

function switchWorkspace(wsId) {
  S.wsId = wsId;
  if (Panel.mode === "search" || Panel.mode === "details" || Panel.mode === "pins") closePanel();
  loadWsMembers(wsId);
  renderSidebar();
  updatePresenceSubSoon();
}
