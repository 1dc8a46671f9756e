/*
 * Parley web client — dependency-free ES modules; this is the entry point.
 *
 * Loaded by templates/app.html as <script type="module"> (deferred: it runs once the
 * document is parsed); theme.js, a classic script in <head>, has already applied the
 * stored theme before first paint. Talks to the JSON API under /api/v1 and to the
 * realtime WebSocket /api/v1/ws (docs/realtime.md). Safety rule: see dom.js.
 *
 * This module binds the page's controls, fills hooks.js, and boots: /me, the socket,
 * the workspaces, then the route.
 */

import { BOOT_WS_WAIT_MS } from "./constants.js";
import { $, $$, h, hasFiles } from "./dom.js";
import { hydrateIcons } from "./icons.js";
import { api } from "./api.js";
import { hooks } from "./hooks.js";
import {
  canPost, defaultChannel, hold, mainComposer, release, RT, S, setComposers, T, threadComposer, V,
} from "./state.js";
import { renderMe, updatePresenceSub, updatePresenceSubSoon } from "./presence.js";
import { closeDrawer, openDrawer, renderSidebar } from "./sidebar.js";
import { ensureUsers, loadWsMembers, rememberUser } from "./users.js";
import { closePanel, togglePanel } from "./panel.js";
import { renderThreadComposerState } from "./thread.js";
import { MessageList } from "./message-list.js";
import { go, lastChannel, lastWorkspace, parseHash } from "./nav.js";
import { loadWorkspaces } from "./channels.js";
import { bindReadControls, maybeMarkRead, onInteraction, updateJumpButtons } from "./unread.js";
import { jumpToLatest, jumpToUnread, onMainScroll } from "./channel-view.js";
import { route } from "./router.js";
import { bindDropZone, Composer } from "./composer.js";
import { runSearch, SR } from "./search.js";
import { loadPins } from "./pins.js";
import { bindNewConversation, openNewConversation } from "./new-conversation.js";
import { editTopic, renderDetails } from "./details.js";
import { bindSettings, openSettings } from "./settings.js";
import { bindCreateChannel, openBrowse, openCreateChannel, renderBrowse } from "./channel-dialogs.js";
import { bindInvite } from "./invite.js";
import { bindIntegrations } from "./integrations.js";
import { Switcher } from "./switcher.js";
import { drainEvents, onMessageCreated, onMessageDeleted } from "./events.js";
import { noteActivity, rtConnect, rtReconnectNow, showReconnecting, waitReady } from "./realtime.js";
import { onGlobalKey, onSidebarKey } from "./keyboard.js";
import { bindOffline } from "./offline.js";

function bindUI() {
  // The skip link must not touch location.hash (the router owns it).
  $(".skip-link").addEventListener("click", (e) => { e.preventDefault(); mainComposer.focus(); });
  document.addEventListener("keydown", onGlobalKey);
  document.addEventListener("pointerdown", noteActivity, { passive: true });
  document.addEventListener("pointerdown", onInteraction, { passive: true });
  document.addEventListener("keydown", onInteraction);
  $("#sidebar").addEventListener("keydown", onSidebarKey);
  $("#sidebar").addEventListener("click", (e) => { if (e.target.closest(".channel-item")) closeDrawer(); });
  $("#sidebar-toggle").addEventListener("click", () => (document.body.classList.contains("sidebar-open") ? closeDrawer() : openDrawer()));
  $("#backdrop").addEventListener("click", closeDrawer);
  $("#ws-select").addEventListener("change", (e) => {
    const ws = e.target.value;
    const d = lastChannel(ws) || defaultChannel(ws);
    go(ws, d ? d.id : null);
  });
  $("#create-channel-btn").addEventListener("click", openCreateChannel);
  $("#browse-btn").addEventListener("click", openBrowse);
  $("#browse-filter").addEventListener("input", () => renderBrowse());
  $("#new-dm-btn").addEventListener("click", openNewConversation);
  $("#me-btn").addEventListener("click", openSettings);
  $("#switcher-btn").addEventListener("click", () => Switcher.open());
  $("#channel-topic").addEventListener("click", editTopic);
  $("#members-btn").addEventListener("click", () => togglePanel("details"));
  $("#pins-btn").addEventListener("click", () => togglePanel("pins"));
  $("#panel-close").addEventListener("click", () => closePanel());
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
  bindInvite();
  bindIntegrations();
  bindNewConversation();
  bindReadControls();
  bindOffline();
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
  window.addEventListener("hashchange", follow);
}

async function boot() {
  S.siteName = document.body.dataset.siteName || "Parley";
  hydrateIcons(document);
  V.list = new MessageList($("#message-list"), $("#scroller"), "channel");
  V.list.onScroll = onMainScroll;
  V.list.onRender = () => updateJumpButtons();
  T.list = new MessageList($("#thread-list"), $("#thread-scroller"), "thread");
  T.list.onRender = () => { if (T.rootId) { renderThreadComposerState(); } };
  setComposers(new Composer($("#composer-slot"), "channel"), new Composer($("#thread-composer-slot"), "thread"));
  bindUI();

  try {
    S.me = await api("GET", "/me", undefined, { quiet: true });
  } catch (e) {
    if (e.status !== 401) bootFailed(e);
    return;
  }
  rememberUser(S.me);
  if (S.me.dnd) S.myStatus = "dnd";
  else if (S.me.away) S.myStatus = "away";
  renderMe();
  rtConnect();
  await waitReady(BOOT_WS_WAIT_MS);
  hold();
  try {
    const convMembers = await loadWorkspaces();
    const { ws } = parseHash();
    S.wsId = S.workspaces.some((w) => w.id === ws) ? ws : lastWorkspace() || (S.workspaces[0] || {}).id || null;
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
  await follow();
}

/** Shows what the location hash names; #settings (a mail's "Choose how often") opens them. */
async function follow() {
  const wantSettings = location.hash === "#settings";
  await route();
  if (wantSettings && S.booted && !$("#settings-dialog").open) openSettings();
}

function bootFailed(e) {
  document.body.classList.remove("is-loading");
  const loader = $("#boot-loader");
  loader.hidden = false;
  loader.classList.add("failed");
  loader.replaceChildren(h("p", null, `Parley could not load. ${e.message || ""}`.trim()),
    h("button", { type: "button", class: "btn primary", onclick: () => location.reload() }, "Try again"));
}

// Every module has been evaluated by now (they are all imported above, directly or not),
// so the late-bound calls can be filled in before anything runs.
Object.assign(hooks, { drainEvents, route, renderDetails, loadPins, onMessageCreated, onMessageDeleted });

// A module script runs once the document has been parsed (readyState "interactive"), so
// this normally boots at once; the DOMContentLoaded path stays for any other loading.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot, { once: true });
else boot();
