/*
 * Keyboard: global shortcuts (Ctrl+K, Alt+↑/↓, Escape, Shift+Escape) and arrow keys in the sidebar.
 */

import { $, $$ } from "./dom.js";
import { EmojiPicker } from "./emoji-picker.js";
import { Edit, Panel, S, V } from "./state.js";
import { closeDrawer } from "./sidebar.js";
import { cancelEdit } from "./message-actions.js";
import { closePanel } from "./panel.js";
import { go } from "./nav.js";
import { Switcher } from "./switcher.js";
import { noteActivity } from "./realtime.js";
import { markAllRead } from "./unread.js";

/** Alt+↑ / Alt+↓: previous / next conversation in the sidebar. */
function stepChannel(dir) {
  const items = $$("#sidebar .channel-item");
  if (!items.length) return;
  const i = items.findIndex((a) => a.dataset.channelId === V.channelId);
  const next = items[(i + dir + items.length) % items.length];
  if (next) go(S.wsId, next.dataset.channelId);
}

export function onGlobalKey(e) {
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
  if (key === "Escape" && e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey && !$("dialog[open]")) {
    e.preventDefault();
    markAllRead();
    return;
  }
  if (key === "Escape" && !e.defaultPrevented) {
    if ($("dialog[open]")) return; // a modal closes itself
    if (EmojiPicker.isOpen()) { EmojiPicker.close(); return; }
    if (Edit.id) { cancelEdit(); return; }
    if (document.body.classList.contains("sidebar-open")) { closeDrawer(); $("#sidebar-toggle").focus(); return; }
    if (Panel.mode) { closePanel(); return; }
    if (document.activeElement === $("#search-input") && $("#search-input").value) { $("#search-input").value = ""; return; }
  }
}

/** Arrow keys move between conversations in the sidebar. */
export function onSidebarKey(e) {
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
