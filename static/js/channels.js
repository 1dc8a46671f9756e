/*
 * Conversations in the store: loading them, joining, leaving, removal; and the note
 * shown in place of the composer (join / archived).
 */

import { $, h } from "./dom.js";
import { toast } from "./toast.js";
import { api } from "./api.js";
import { confirmDialog } from "./prompts.js";
import { channelLabel, defaultChannel, mainComposer, mergeChannel, S, T, V, wsArchived } from "./state.js";
import { updatePresenceSubSoon } from "./presence.js";
import { renderSidebar, renderSidebarSoon } from "./sidebar.js";
import { renderHeader, showEmpty } from "./channel-header.js";
import { ensureUsers } from "./users.js";
import { closePanel } from "./panel.js";
import { renderThreadComposerState } from "./thread.js";
import { go } from "./nav.js";

const inflightChannels = new Map();
/** Loads one channel (GET /channels/{id}) into the store; null if not visible. */
export function ensureChannel(id, preview = false, force = false) {
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
export function refreshChannelSoon(id) {
  clearTimeout(refreshTimers.get(id));
  refreshTimers.set(id, setTimeout(() => { refreshTimers.delete(id); ensureChannel(id, false, true); }, 600));
}

export function removeChannel(id) {
  const ch = S.channels.get(id);
  S.channels.delete(id);
  S.chMembers.delete(id);
  if (T.channelId === id) closePanel();
  if (V.channelId === id) {
    if (ch) toast(`You are no longer in ${channelLabel(ch)}.`);
    const d = defaultChannel(S.wsId);
    if (d) go(S.wsId, d.id); else showEmpty("There are no conversations here yet.");
  }
  renderSidebarSoon();
  updatePresenceSubSoon();
}

/** The composer, or a "join" / "archived" note in its place. */
export function renderComposerState() {
  const ch = S.channels.get(V.channelId);
  const note = $("#composer-note");
  const slot = $("#composer-slot");
  if (!ch) { slot.hidden = true; note.hidden = true; return; }
  if (!ch.membership) {
    slot.hidden = true;
    note.hidden = false;
    note.replaceChildren(h("span", null, `You are viewing ${channelLabel(ch)}.`),
      h("button", { type: "button", class: "btn primary", "data-testid": "join-channel", onclick: () => joinChannel(ch.id) }, "Join channel"));
  } else if (ch.archived || wsArchived(ch.workspace_id)) {
    slot.hidden = true;
    note.hidden = false;
    const what = ch.archived ? "channel" : "workspace";
    note.replaceChildren(h("span", { "data-testid": "archived-note" }, `This ${what} is archived. Its history stays readable.`));
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

export async function leaveChannel(chId) {
  const ch = S.channels.get(chId);
  if (!ch) return;
  const ok = await confirmDialog(`Leave ${channelLabel(ch)}? ${ch.kind === "private" || ch.kind === "group" ? "You will need to be added again to come back." : "You can join it again from Browse channels."}`, { confirm: "Leave", title: "Leave conversation?" });
  if (!ok) return;
  try { await api("POST", `/channels/${chId}/leave`); } catch { return; }
  removeChannel(chId);
}

export async function loadWorkspaces() {
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
