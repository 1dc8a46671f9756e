/*
 * The Integrations page's bots tab (owners and admins): the workspace's bots, a new
 * one, deactivating and reactivating, and each bot's tokens (scoped; a new token is
 * shown once) with revoking.
 */

import { fill, h } from "./dom.js";
import { fmtWhen, toDate } from "./util.js";
import { api } from "./api.js";
import { S, userName } from "./state.js";
import { confirmDialog } from "./prompts.js";
import { toast } from "./toast.js";
import { appBadge, avatar } from "./presence.js";
import { shownOnce } from "./shown-once.js";
import { onCreateSubmit } from "./create-form.js";

const SCOPES = [
  ["channels:read", "see channels and who is in them"],
  ["channels:history", "read messages and files, search, open a live connection"],
  ["chat:write", "post, edit and delete its messages, pin, start conversations"],
  ["reactions:write", "add and remove reactions"],
  ["files:write", "upload and delete files"],
  ["channels:manage", "create, rename and archive channels, add and remove members"],
  ["users:read", "see people, their profiles and presence"],
];
const when = (s) => fmtWhen(toDate(s));

/** ctx: { wsId, ws, admin, live() } from integrations.js. */
export function renderBotsTab(panel, ctx) {
  const st = { bots: null, error: null, form: null, tokens: new Map() };
  const top = h("div", { class: "int-top" });
  const list = h("div", { class: "int-list-slot" });
  const drawTop = () => { if (ctx.live()) fill(top, topView(st, ctx, draw)); };
  const drawList = () => { if (ctx.live()) fill(list, listView(st, drawList)); };
  const draw = () => { drawTop(); drawList(); };
  fill(panel, h("p", { class: "hint" }, "A bot is an app that a program drives with a token. It sees only the channels it is added to: add it from a channel’s member list."), top, list);
  draw();
  api("GET", `/workspaces/${ctx.wsId}/bots`, undefined, { quiet: true })
    .then((bots) => { st.bots = bots; })
    .catch((e) => { st.error = e.message; })
    .finally(drawList);
}

function topView(st, ctx, draw) {
  if (st.form) return st.form;
  const start = () => {
    st.form = botForm(ctx, (bot) => {
      st.form = null;
      st.bots = [...(st.bots || []), bot];
      // A new bot can do nothing without a token: open its tokens with the form ready.
      st.tokens.set(bot.id, { list: [], error: null, form: true, shown: null });
      draw();
    }, () => { st.form = null; draw(); });
    draw();
  };
  return h("div", { class: "row-actions start" },
    h("button", { type: "button", class: "btn primary", "data-testid": "bot-new", onclick: start }, "New bot"));
}

const slug = (s) => s.toLowerCase().trim().replace(/\s+/g, "-").replace(/[^a-z0-9._-]/g, "").slice(0, 32);

function botForm(ctx, onCreated, onCancel) {
  const name = h("input", { maxlength: 80, autocomplete: "off", placeholder: "e.g. Deploy Bot", "data-testid": "bot-display-name" });
  const username = h("input", { maxlength: 32, autocomplete: "off", spellcheck: "false", placeholder: "deploy-bot", "data-testid": "bot-username" });
  const description = h("input", { maxlength: 500, autocomplete: "off", "data-testid": "bot-description" });
  let typedUsername = false;
  username.addEventListener("input", () => { typedUsername = true; });
  name.addEventListener("input", () => { if (!typedUsername) username.value = slug(name.value); });
  const err = h("p", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "btn primary", "data-testid": "bot-create" }, "Create bot");
  const form = h("form", { class: "int-form", novalidate: true, "aria-label": "New bot" },
    h("h3", null, "New bot"),
    h("label", { class: "field" }, h("span", null, "Name"), name),
    h("label", { class: "field" }, h("span", null, "Username ", h("em", null, "(how it is @mentioned: a-z, 0-9, “.”, “-” and “_”)")), username),
    h("label", { class: "field" }, h("span", null, "Description ", h("em", null, "(optional)")), description),
    err,
    h("div", { class: "row-actions" }, h("button", { type: "button", class: "btn", onclick: onCancel }, "Cancel"), submit));
  onCreateSubmit(form, {
    submit, err, onCreated,
    prepare: () => {
      const body = { display_name: name.value.trim(), username: username.value.trim().replace(/^@/, "") };
      if (!body.display_name || !body.username) return { problem: "Give the bot a name and a username.", focus: body.display_name ? username : name };
      if (description.value.trim()) body.description = description.value.trim();
      return { body };
    },
    post: (body) => api("POST", `/workspaces/${ctx.wsId}/bots`, body, { quiet: true }),
    explain: (ex) => (ex.code === "already_exists" ? "That username is taken." : ex.message),
  });
  queueMicrotask(() => name.focus());
  return form;
}

function listView(st, drawList) {
  if (st.error) return h("p", { class: "form-error", role: "alert" }, st.error);
  if (!st.bots) return h("p", { class: "muted" }, "Loading bots…");
  if (!st.bots.length) return h("p", { class: "muted", "data-testid": "bots-empty" }, "No bots yet.");
  return h("ul", { class: "int-list", "aria-label": "Bots" }, st.bots.map((b) => botItem(b, st, drawList)));
}

/** The list is redrawn whole: put the focus back on the same bot's button. */
function refocus(botId, testid) {
  const el = document.querySelector(`[data-bot-id="${CSS.escape(botId)}"] [data-testid="${testid}"]`);
  if (el) el.focus();
}

function botItem(b, st, drawList) {
  const open = st.tokens.has(b.id);
  const slot = h("div", { class: "int-tokens", id: `bot-tokens-${b.id}`, hidden: !open });
  const setActive = async (active) => {
    if (!active && !await confirmDialog(`${b.display_name} stops at once: its tokens end and its connections close.`,
      { title: "Deactivate this bot?", confirm: "Deactivate" })) return;
    try { await api("POST", `/bots/${b.id}/${active ? "reactivate" : "deactivate"}`); } catch { return; }
    b.deactivated = !active;
    if (st.tokens.has(b.id)) st.tokens.set(b.id, { list: null, error: null, form: false, shown: null });
    toast(active ? `${b.display_name} is active again. Its old tokens stay revoked.` : `${b.display_name} was deactivated.`);
    drawList();
    refocus(b.id, active ? "bot-deactivate" : "bot-reactivate");
  };
  const toggle = () => {
    if (st.tokens.has(b.id)) st.tokens.delete(b.id);
    else st.tokens.set(b.id, { list: null, error: null, form: false, shown: null });
    drawList();
    refocus(b.id, "bot-tokens");
  };
  if (open) renderTokens(b, st.tokens.get(b.id), slot);
  const sub = [`@${b.username}`, b.description].filter(Boolean).join(" · ");
  return h("li", { class: "int-item", "data-testid": "bot", "data-bot-id": b.id },
    h("div", { class: "int-row" },
      avatar(b.id, b.display_name, "sm"),
      h("div", { class: "int-main" },
        h("div", { class: "int-name" }, b.display_name, appBadge(), b.deactivated ? h("span", { class: "tag", "data-testid": "deactivated-tag" }, "deactivated") : null),
        h("div", { class: "int-sub" }, sub),
        h("div", { class: "int-sub" }, `Owner: ${b.owner_id === S.me.id ? "you" : userName(b.owner_id, "a former member")} · created ${when(b.created_at)}`)),
      h("div", { class: "int-actions" },
        h("button", { type: "button", class: "btn small", "aria-expanded": open ? "true" : "false", "aria-controls": slot.id, "aria-label": `Tokens of ${b.display_name}`, "data-testid": "bot-tokens", onclick: toggle }, "Tokens"),
        b.deactivated
          ? h("button", { type: "button", class: "btn small", "aria-label": `Reactivate ${b.display_name}`, "data-testid": "bot-reactivate", onclick: () => setActive(true) }, "Reactivate")
          : h("button", { type: "button", class: "btn small danger-outline", "aria-label": `Deactivate ${b.display_name}`, "data-testid": "bot-deactivate", onclick: () => setActive(false) }, "Deactivate"))),
    slot);
}

/** One bot's tokens: t = { list, error, form (bool or the form element), shown (CreatedBotToken) }. */
function renderTokens(b, t, slot) {
  const shownSlot = h("div");
  const listSlot = h("div");
  const formSlot = h("div");
  fill(slot, h("h4", null, `Tokens of ${b.display_name}`), shownSlot, listSlot, formSlot);
  const drawShown = () => fill(shownSlot, t.shown ? shownOnce({
    title: `New token “${t.shown.name}”`, value: t.shown.token, what: "Bot token", testid: "bot-token-value",
    extra: h("p", { class: "hint" }, "A program sends it as ", h("code", null, "Authorization: Bearer …"), " to this server’s API under ", h("code", null, "/api/v1"), ", or to the Slack-style API under ", h("code", null, "/slack/api"), "."),
    onDone: () => { t.shown = null; drawShown(); },
  }) : null);
  const drawList = () => fill(listSlot, tokenList(b, t, drawList));
  const drawForm = () => {
    if (b.deactivated) { fill(formSlot, h("p", { class: "hint" }, "Reactivate the bot to give it a token.")); return; }
    if (t.form === true) {
      t.form = tokenForm(b, (made) => {
        t.form = false;
        t.shown = made;
        const { token: _secret, ...view } = made;
        t.list = [...(t.list || []), view];
        drawShown(); drawList(); drawForm();
      }, () => { t.form = false; drawForm(); });
    }
    fill(formSlot, t.form || h("button", { type: "button", class: "btn small", "data-testid": "token-new", onclick: () => { t.form = true; drawForm(); } }, "New token"));
  };
  drawShown(); drawList(); drawForm();
  t.drawList = drawList; // the bots list may be redrawn before the tokens arrive: draw the newest
  if (!t.list && !t.error && !t.loading) {
    t.loading = true;
    api("GET", `/bots/${b.id}/tokens`, undefined, { quiet: true })
      .then((list) => { t.list = list; })
      .catch((e) => { t.error = e.message; })
      .finally(() => { t.loading = false; t.drawList(); });
  }
}

function tokenList(b, t, drawList) {
  if (t.error) return h("p", { class: "form-error", role: "alert" }, t.error);
  if (!t.list) return h("p", { class: "muted" }, "Loading tokens…");
  if (!t.list.length) return h("p", { class: "muted" }, "No tokens yet.");
  return h("ul", { class: "int-list tokens", "aria-label": `Tokens of ${b.display_name}` }, t.list.map((tk) => {
    const revoke = async () => {
      if (!await confirmDialog(`Programs using “${tk.name}” stop working at once.`, { title: "Revoke this token?", confirm: "Revoke" })) return;
      try { await api("DELETE", `/bots/${b.id}/tokens/${tk.id}`); } catch { return; }
      t.list = t.list.filter((x) => x.id !== tk.id);
      toast(`The token “${tk.name}” was revoked.`);
      drawList();
      refocus(b.id, "bot-tokens");
    };
    return h("li", { class: "int-row", "data-testid": "bot-token", "data-token-id": tk.id },
      h("div", { class: "int-main" },
        h("div", { class: "int-name" }, tk.name, " ", h("code", { class: "int-prefix" }, `${tk.prefix}…`)),
        h("div", { class: "int-scopes" }, tk.scopes.map((s) => h("code", null, s))),
        h("div", { class: "int-sub" }, `Created ${when(tk.created_at)} · ${tk.last_used_at ? `last used ${when(tk.last_used_at)}` : "not used yet"}`)),
      h("div", { class: "int-actions" },
        h("button", { type: "button", class: "btn small danger-outline", "aria-label": `Revoke ${tk.name}`, "data-testid": "token-revoke", onclick: revoke }, "Revoke")));
  }));
}

function tokenForm(b, onCreated, onCancel) {
  const name = h("input", { maxlength: 80, autocomplete: "off", placeholder: "e.g. CI deploys", "data-testid": "token-name" });
  const boxes = SCOPES.map(([scope]) => h("input", { type: "checkbox", value: scope, "data-scope": scope }));
  const err = h("p", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "btn small primary", "data-testid": "token-create" }, "Create token");
  const form = h("form", { class: "int-form", novalidate: true, "aria-label": `New token for ${b.display_name}` },
    h("label", { class: "field" }, h("span", null, "Token name"), name),
    h("fieldset", { class: "scopes" }, h("legend", null, "What it may do"),
      SCOPES.map(([scope, what], i) => h("label", { class: "check" }, boxes[i], h("span", null, h("code", null, scope), ` — ${what}`)))),
    err,
    h("div", { class: "row-actions" }, h("button", { type: "button", class: "btn small", onclick: onCancel }, "Cancel"), submit));
  onCreateSubmit(form, {
    submit, err, onCreated,
    prepare: () => {
      const scopes = boxes.filter((x) => x.checked).map((x) => x.value);
      if (!name.value.trim()) return { problem: "Give the token a name.", focus: name };
      if (!scopes.length) return { problem: "Choose at least one thing it may do.", focus: boxes[0] };
      return { body: { name: name.value.trim(), scopes } };
    },
    post: (body) => api("POST", `/bots/${b.id}/tokens`, body, { quiet: true }),
  });
  queueMicrotask(() => { if (name.isConnected) name.focus(); });
  return form;
}
