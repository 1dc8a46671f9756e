/*
 * Slash commands typed in the composer: autocomplete with usage hints (the list comes
 * from the server: built-ins and the workspace's own), the web client's own actions
 * (/topic, /invite, /leave, /mute, /dnd, /away, /search) through the REST routes its buttons
 * use, the rest run by the server. Answers only the caller sees ("ephemeral") show in
 * the conversation marked "Only visible to you", are never stored, and are gone on reload.
 */

import { $, h } from "./dom.js";
import { api } from "./api.js";
import { S } from "./state.js";
import { toast } from "./toast.js";
import { refreshPendingViews } from "./messages.js";
import { leaveChannel } from "./channels.js";
import { setNotify } from "./details.js";
import { setChosenPresence } from "./presence.js";
import { runSearch } from "./search.js";

const lists = new Map(); // workspace id → { at, list: [CommandHelp] }
const loading = new Map(); // workspace id → promise
const FRESH_MS = 60_000; // an admin may add a command meanwhile

export function loadCommands(wsId) {
  const got = lists.get(wsId);
  if (got && Date.now() - got.at < FRESH_MS) return Promise.resolve(got.list);
  if (!loading.has(wsId)) {
    loading.set(wsId, api("GET", `/workspaces/${wsId}/commands`, undefined, { quiet: true })
      .then((list) => { lists.set(wsId, { at: Date.now(), list }); return list; })
      .catch(() => [])
      .finally(() => loading.delete(wsId)));
  }
  return loading.get(wsId);
}

export const commandsKnown = (wsId) => lists.has(wsId) && Date.now() - lists.get(wsId).at < FRESH_MS;

/** Autocomplete items for "/q" at the start of the composer. */
export function commandCandidates(q) {
  const list = (lists.get(S.wsId) || { list: [] }).list;
  return list.filter((c) => c.command.slice(1).startsWith(q)).slice(0, 12).map((c) => ({
    insert: c.command.slice(1),
    render: () => [h("span", { class: "ac-name" }, c.command), c.usage_hint ? h("span", { class: "ac-hint" }, c.usage_hint) : null,
      h("span", { class: "ac-sub" }, c.description)],
  }));
}

/** "/name rest" → { name, text }; "//x" and "/ x" are messages, not commands. */
export function parseCommand(text) {
  const m = /^\/([A-Za-z0-9_-]{1,32})(?:\s+([\s\S]*))?$/.exec(text.trim());
  return m ? { name: m[1].toLowerCase(), text: (m[2] || "").trim() } : null;
}

/** An answer only I see, until I reload or dismiss it. */
export function addEphemeral(view) {
  S.ephemerals.push({ ...view, key: `e${Date.now()}${Math.random().toString(36).slice(2)}` });
  refreshPendingViews();
}

export function dismissEphemeral(key) {
  S.ephemerals = S.ephemerals.filter((e) => e.key !== key);
  refreshPendingViews();
}

function note(channelId, rootId, text) {
  const esc = text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  addEphemeral({ channel_id: channelId, thread_root_id: rootId, author_id: null, text, html: `<p>${esc}</p>`, created_at: new Date().toISOString() });
}

const CLIENT = {
  topic: async (ch, text) => {
    await api("PATCH", `/channels/${ch.id}`, { topic: text });
    toast(text ? "Topic set." : "Topic cleared.");
  },
  invite: async (ch, text, rootId) => {
    const name = text.replace(/^@/, "").trim().toLowerCase();
    const u = [...S.users.values()].find((x) => x.username.toLowerCase() === name && !x.deactivated);
    if (!u) { note(ch.id, rootId, `No one here is called @${name || "…"}. Usage: /invite @person`); return; }
    await api("POST", `/channels/${ch.id}/members`, { user_id: u.id });
    toast(`${u.display_name} was added.`);
  },
  leave: (ch) => leaveChannel(ch.id),
  mute: (ch) => setNotify(ch.id, { muted: !(ch.membership && ch.membership.muted) }),
  dnd: async () => {
    await setChosenPresence({ dnd: !S.me.dnd });
    toast(S.me.dnd ? "Do not disturb is on." : "Do not disturb is off.");
  },
  away: async () => {
    await setChosenPresence({ away: !S.me.away });
    toast(S.me.away ? "You appear away." : "You appear active again.");
  },
  search: (_ch, text) => {
    $("#search-input").value = text;
    if (text) runSearch(text);
    $("#search-input").focus();
  },
};

/** Runs `text` if it is a command; true if it was (nothing is posted then). */
export async function runCommand(ch, rootId, text) {
  const cmd = parseCommand(text);
  if (!cmd) return false;
  const known = (await loadCommands(ch.workspace_id)).find((c) => c.command === `/${cmd.name}`);
  if (!known) {
    note(ch.id, rootId, `/${cmd.name} is not a command here. Type /help to see them, or start with // to send a message that begins with a slash.`);
    return true;
  }
  try {
    if (known.runs === "client" && CLIENT[cmd.name]) {
      await CLIENT[cmd.name](ch, cmd.text, rootId);
      return true;
    }
    const r = await api("POST", `/channels/${ch.id}/commands`, { command: `/${cmd.name}`, text: cmd.text, thread_root_id: rootId || undefined }, { quiet: true });
    if (r.response_type === "ephemeral" && r.ephemeral) addEphemeral(r.ephemeral);
  } catch (e) {
    note(ch.id, rootId, `/${cmd.name}: ${e.message}`);
  }
  return true;
}
