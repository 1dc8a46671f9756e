/*
 * The sidebar: conversation list with unread badges, workspace switcher, the page title, and the drawer on narrow screens.
 */

import { $, cls, h } from "./dom.js";
import { batched } from "./util.js";
import { icon } from "./icons.js";
import {
  badgeCount, channelLabel, channelsOf, convOthers, hashFor, isConv, isUnread, S, V,
} from "./state.js";
import { presenceDot } from "./presence.js";
import { renderInviteButton } from "./invite.js";
import { renderIntegrationsButton } from "./integrations.js";

export function channelIcon(ch) {
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

export function renderSidebar() {
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
  renderInviteButton();
  renderIntegrationsButton();
  updateTitle();
}
export const renderSidebarSoon = batched(renderSidebar, 30);

export function updateTitle() {
  let total = 0;
  for (const ch of S.channels.values()) if (ch.membership && !(ch.membership.muted && !ch.membership.mention_count)) total += badgeCount(ch);
  const ch = S.channels.get(V.channelId);
  const label = ch ? channelLabel(ch) : "";
  const title = `${total ? `(${total}) ` : ""}${label ? `${label} — ` : ""}${S.siteName}`;
  if (document.title !== title) document.title = title;
}

export function openDrawer() {
  document.body.classList.add("sidebar-open");
  $("#backdrop").hidden = false;
  $("#sidebar-toggle").setAttribute("aria-expanded", "true");
  const active = $("#sidebar .channel-item.active") || $("#sidebar .channel-item");
  if (active) active.focus();
}

export function closeDrawer() {
  if (!document.body.classList.contains("sidebar-open")) return;
  document.body.classList.remove("sidebar-open");
  $("#backdrop").hidden = true;
  $("#sidebar-toggle").setAttribute("aria-expanded", "false");
}
