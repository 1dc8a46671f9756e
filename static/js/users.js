/*
 * People: profiles and member lists (cached, loaded on demand); re-rendering when names change.
 */

import { batched } from "./util.js";
import { api } from "./api.js";
import { hooks } from "./hooks.js";
import { Panel, S, T, V } from "./state.js";
import { renderSidebar, renderSidebarSoon } from "./sidebar.js";
import { renderHeader } from "./channel-header.js";

export function rememberUser(u) {
  if (!u || !u.id) return;
  const old = S.users.get(u.id);
  S.users.set(u.id, old ? Object.assign(old, u) : { ...u });
}

/** Whether a member can be picked (mentioned, messaged, added): people and bots, not
 * what webhooks and commands post as, nor the workspace's own voice. */
export function pickable(mv) {
  return !mv.app || mv.app === "bot";
}

/** Members of a workspace (for names, @mentions, new conversations). */
export function loadWsMembers(wsId, force = false) {
  const cached = S.wsMembers.get(wsId);
  if (cached && !force) return cached.promise;
  const entry = { list: cached ? cached.list : null, promise: null };
  entry.promise = api("GET", `/workspaces/${wsId}/members`, undefined, { quiet: true })
    .then((list) => {
      entry.list = list;
      for (const mv of list) rememberUser(mv.user);
      S.viewRev++;
      renderSidebarSoon();
      return list;
    })
    .catch(() => { S.wsMembers.delete(wsId); return []; });
  S.wsMembers.set(wsId, entry);
  return entry.promise;
}

const fetchingUsers = new Set();
/** Fetches profiles we do not know yet (GET /users/{id}), then re-renders names. */
export function ensureUsers(ids) {
  const missing = ids.filter((id) => id && !S.users.has(id) && !fetchingUsers.has(id) && (!S.me || id !== S.me.id));
  if (!missing.length) return;
  for (const id of missing) fetchingUsers.add(id);
  Promise.all(missing.slice(0, 50).map((id) => api("GET", `/users/${id}`, undefined, { quiet: true })
    .then(rememberUser).catch(() => {}).finally(() => fetchingUsers.delete(id))))
    .then(() => { S.viewRev++; renderAllSoon(); });
}

/** Members of a channel as user ids (cached; events keep it current). */
export async function ensureChannelMembers(chId, force = false) {
  if (!force && S.chMembers.has(chId)) return S.chMembers.get(chId);
  try {
    const list = await api("GET", `/channels/${chId}/members`, undefined, { quiet: true });
    for (const u of list) rememberUser(u);
    const ids = list.map((u) => u.id);
    S.chMembers.set(chId, ids);
    if (chId === V.channelId) renderHeader();
    return ids;
  } catch {
    return S.chMembers.get(chId) || [];
  }
}

export const renderAllSoon = batched(() => {
  renderSidebar();
  renderHeader();
  V.list.schedule();
  T.list.schedule();
  if (Panel.mode === "details") hooks.renderDetails();
}, 50);
