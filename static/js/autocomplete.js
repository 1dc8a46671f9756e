/*
 * Suggestions for the composer's @mention and #channel autocomplete.
 */

import { h } from "./dom.js";
import { api } from "./api.js";
import { channelsOf, isConv, S } from "./state.js";
import { appTag, avatar, presenceDot } from "./presence.js";
import { channelIcon } from "./sidebar.js";
import { pickable } from "./users.js";

export function mentionCandidates(q, chId) {
  const ch = S.channels.get(chId);
  const inChannel = S.chMembers.get(chId) || (isConv(ch) ? ch.conversation_members || [] : []);
  const pool = new Map();
  for (const id of inChannel) pool.set(id, 0);
  const ws = ch && S.wsMembers.get(ch.workspace_id);
  const apps = new Set(((ws && ws.list) || []).filter((mv) => !pickable(mv)).map((mv) => mv.user.id));
  if (ws && ws.list) for (const mv of ws.list) if (!mv.deactivated_at && !pool.has(mv.user.id)) pool.set(mv.user.id, 1);
  const found = [];
  for (const [id, rank] of pool) {
    if (id === S.me.id || apps.has(id)) continue;
    const u = S.users.get(id);
    if (!u || u.deactivated) continue;
    const un = u.username.toLowerCase();
    const dn = u.display_name.toLowerCase();
    let score;
    if (!q || un.startsWith(q)) score = 0;
    else if (dn.startsWith(q) || dn.split(/\s+/).some((w) => w.startsWith(q))) score = 1;
    else if (un.includes(q) || dn.includes(q)) score = 2;
    else continue;
    found.push({ rank, score, u });
  }
  found.sort((a, b) => a.rank - b.rank || a.score - b.score || a.u.display_name.localeCompare(b.u.display_name));
  const items = found.slice(0, 8).map(({ u }) => ({
    insert: u.username,
    render: () => [avatar(u.id, u.display_name, "xs"), h("span", { class: "ac-name" }, u.display_name), appTag(u.id), h("span", { class: "ac-sub" }, `@${u.username}`), presenceDot(u.id)],
  }));
  if (ch && !isConv(ch)) {
    for (const [name, desc] of [["here", "everyone online in this channel"], ["channel", "everyone in this channel"]]) {
      if (name.startsWith(q)) items.push({ insert: name, render: () => [h("span", { class: "ac-name" }, `@${name}`), h("span", { class: "ac-sub" }, `Notify ${desc}`)] });
    }
  }
  return items;
}

export function channelCandidates(q) {
  const seen = new Map();
  for (const c of channelsOf(S.wsId)) if (!isConv(c)) seen.set(c.id, c);
  for (const c of S.browse.get(S.wsId) || []) if (!seen.has(c.id)) seen.set(c.id, c);
  return [...seen.values()]
    .filter((c) => c.name && (c.name.startsWith(q) || c.name.includes(q)))
    .sort((a, b) => (b.name.startsWith(q) - a.name.startsWith(q)) || a.name.localeCompare(b.name))
    .slice(0, 8)
    .map((c) => ({ insert: c.name, render: () => [channelIcon(c), h("span", { class: "ac-name" }, c.name), c.topic ? h("span", { class: "ac-sub" }, c.topic) : null] }));
}

export const browseLoading = new Map(); // workspace id → in-flight promise
/** Public channels of a workspace (cached; guests get an empty list). */
export function loadBrowse(wsId) {
  if (S.browse.has(wsId)) return Promise.resolve(S.browse.get(wsId));
  if (browseLoading.has(wsId)) return browseLoading.get(wsId);
  const p = api("GET", `/workspaces/${wsId}/channels/browse`, undefined, { quiet: true })
    .then((list) => { S.browse.set(wsId, list); return list; })
    .catch(() => { S.browse.set(wsId, []); return []; })
    .finally(() => browseLoading.delete(wsId));
  browseLoading.set(wsId, p);
  return p;
}
