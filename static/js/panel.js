/*
 * The side panel (thread | search | details | pins): open, close, toggle, refresh.
 */

import { $, narrow } from "./dom.js";
import { hooks } from "./hooks.js";
import { channelLabel, Edit, mainComposer, Panel, S, T, threadComposer, V } from "./state.js";
import { updatePresenceSubSoon } from "./presence.js";
import { renderTyping } from "./typing.js";
import { cancelEdit } from "./message-actions.js";

const PANEL_TITLES = { thread: "Thread", search: "Search", details: "Details", pins: "Pinned messages" };

/** Opens the side panel on one of its views. */
export function openPanel(mode) {
  const panel = $("#panel");
  const was = Panel.mode;
  Panel.mode = mode;
  panel.hidden = false;
  document.body.classList.add("panel-open");
  for (const [m, id] of [["thread", "thread-view"], ["search", "search-view"], ["details", "details-view"], ["pins", "pins-view"]]) $(`#${id}`).hidden = m !== mode;
  $("#panel-title").textContent = PANEL_TITLES[mode];
  if (mode !== "thread") $("#panel-sub").textContent = mode === "search" ? "" : channelLabel(S.channels.get(V.channelId));
  if (was === "thread" && mode !== "thread") leaveThread();
  $("#members-btn").setAttribute("aria-pressed", String(mode === "details"));
  $("#pins-btn").setAttribute("aria-pressed", String(mode === "pins"));
}

function leaveThread() {
  if (Edit.list === T.list) cancelEdit(false);
  T.token++;
  threadComposer.setTarget(null, null);
  T.rootId = null;
  T.channelId = null;
  T.list.reset(null);
}

export function closePanel() {
  if (!Panel.mode) return;
  const was = Panel.mode;
  if (was === "thread") leaveThread();
  Panel.mode = null;
  $("#panel").hidden = true;
  document.body.classList.remove("panel-open");
  $("#members-btn").setAttribute("aria-pressed", "false");
  $("#pins-btn").setAttribute("aria-pressed", "false");
  renderTyping();
  updatePresenceSubSoon();
  if (!narrow()) mainComposer.focus();
}

export function togglePanel(mode) {
  if (Panel.mode === mode) closePanel();
  else { openPanel(mode); refreshPanel(); }
}

/** Re-renders the details or pins view for the current conversation. */
export function refreshPanel() {
  if (Panel.mode === "details") { $("#panel-sub").textContent = channelLabel(S.channels.get(V.channelId)); hooks.renderDetails(); }
  else if (Panel.mode === "pins") { $("#panel-sub").textContent = channelLabel(S.channels.get(V.channelId)); hooks.loadPins(); }
}
