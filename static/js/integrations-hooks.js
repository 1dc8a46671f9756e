/*
 * The Integrations page's webhooks tab: the incoming webhooks I may manage (all of them
 * for owners and admins, my own for members); a new one for a channel I can post in
 * (admins, or members when the workspace allows it); rename, a new URL, delete. A hook's
 * URL is shown once, when it is made and when it is replaced, with a curl example.
 */

import { fill, h } from "./dom.js";
import { fmtWhen, toDate } from "./util.js";
import { api } from "./api.js";
import { canPost, channelLabel, channelsOf, isConv, S, userName, V } from "./state.js";
import { confirmDialog, promptDialog } from "./prompts.js";
import { toast } from "./toast.js";
import { shownOnce } from "./shown-once.js";
import { onCreateSubmit } from "./create-form.js";

const NATIVE_FORMATS = ["/github", "/gitlab", "/alertmanager", "/grafana", "/sentry"];
const when = (s) => fmtWhen(toDate(s));

/** ctx: { wsId, ws (WorkspaceView), admin, live() } from integrations.js. */
export function renderHooksTab(panel, ctx) {
  const st = { hooks: null, error: null, form: null, shown: null };
  const top = h("div", { class: "int-top" });
  const list = h("div", { class: "int-list-slot" });
  // Two parts drawn apart, so the list arriving does not take the focus out of the form.
  const drawTop = () => { if (ctx.live()) fill(top, topView(st, ctx, draw)); };
  const drawList = () => { if (ctx.live()) fill(list, listView(st, { draw, drawList })); };
  const draw = () => { drawTop(); drawList(); };
  fill(panel, h("p", { class: "hint" }, "Other tools post into a channel by sending JSON to a webhook’s secret URL.",
    ctx.admin ? null : " You see the webhooks you made."), top, list);
  draw();
  api("GET", `/workspaces/${ctx.wsId}/hooks`, undefined, { quiet: true })
    .then((hooks) => { st.hooks = hooks; })
    .catch((e) => { st.error = e.message; })
    .finally(drawList);
}

const mayCreate = (ctx) => ctx.admin || !!ctx.ws.members_create_hooks;

function topView(st, ctx, draw) {
  const shown = st.shown ? urlShownOnce(st.shown.made, st.shown.rotated, () => { st.shown = null; draw(); }) : null;
  if (!mayCreate(ctx)) {
    return [shown, h("p", { class: "hint", "data-testid": "hook-create-denied" }, "Only workspace owners and admins may create webhooks here.")];
  }
  if (st.form) return [shown, st.form];
  const start = () => {
    st.shown = null;
    st.form = hookForm((made) => {
      st.form = null;
      st.shown = { made, rotated: false };
      st.hooks = [...(st.hooks || []), stripUrl(made)];
      draw();
    }, () => { st.form = null; draw(); });
    draw();
  };
  return [shown, h("div", { class: "row-actions start" },
    h("button", { type: "button", class: "btn primary", "data-testid": "hook-new", onclick: start }, "New webhook"))];
}

function listView(st, redraw) {
  if (st.error) return h("p", { class: "form-error", role: "alert" }, st.error);
  if (!st.hooks) return h("p", { class: "muted" }, "Loading webhooks…");
  if (!st.hooks.length) return h("p", { class: "muted", "data-testid": "hooks-empty" }, "No webhooks yet.");
  return h("ul", { class: "int-list", "aria-label": "Incoming webhooks" }, st.hooks.map((hk) => hookRow(hk, st, redraw)));
}

/** A CreatedHook without its url, as the list keeps it. */
function stripUrl(made) {
  const { url: _url, ...view } = made;
  return view;
}

function urlShownOnce(made, rotated, onDone) {
  const curl = `curl -X POST -H 'Content-Type: application/json' --data '{"text":"Hello from curl"}' ${made.url}`;
  return shownOnce({
    title: rotated ? `A new URL for “${made.name}”` : `“${made.name}” is ready`, value: made.url, what: "Webhook URL", testid: "hook-url", onDone,
    extra: [
      h("p", { class: "hint" }, "Try it from a terminal:"),
      h("pre", { class: "int-code", "data-testid": "hook-curl" }, h("code", null, curl)),
      h("p", { class: "hint" }, "It takes Slack’s message format. Add ",
        NATIVE_FORMATS.flatMap((f, i) => [i ? (i === NATIVE_FORMATS.length - 1 ? " or " : ", ") : null, h("code", null, f)]),
        " to the URL for those tools’ own payloads (set a secret for the ones that sign or send one)."),
    ],
  });
}

function field(label, hint, input) {
  return h("label", { class: "field" }, h("span", null, label, hint ? h("em", null, ` ${hint}`) : null), input);
}

function hookForm(onCreated, onCancel) {
  const chans = channelsOf(S.wsId).filter((c) => !isConv(c) && canPost(c))
    .sort((a, b) => (a.name || "").localeCompare(b.name || ""));
  if (!chans.length) {
    return h("div", { class: "int-form" }, h("p", { class: "hint" }, "Join a channel first: a webhook posts into a channel you are in."),
      h("div", { class: "row-actions" }, h("button", { type: "button", class: "btn", onclick: onCancel }, "Cancel")));
  }
  const name = h("input", { maxlength: 80, required: true, autocomplete: "off", placeholder: "e.g. Deploys", "data-testid": "hook-name" });
  const channel = h("select", { "data-testid": "hook-channel" },
    chans.map((c) => h("option", { value: c.id, selected: c.id === V.channelId }, channelLabel(c))));
  const avatarUrl = h("input", { type: "url", maxlength: 2000, autocomplete: "off", placeholder: "https://…" });
  const secret = h("input", { type: "password", maxlength: 256, autocomplete: "new-password" });
  const err = h("p", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "btn primary", "data-testid": "hook-create" }, "Create webhook");
  const form = h("form", { class: "int-form", novalidate: true, "aria-label": "New webhook", "data-testid": "hook-form" },
    h("h3", null, "New webhook"),
    field("Name", "(shown as the author of what it posts)", name),
    field("Channel", null, channel),
    field("Picture address", "(optional, https; this web client shows initials instead)", avatarUrl),
    field("Secret", "(optional, 8 to 256 characters: what GitHub, GitLab, Sentry, Alertmanager or Grafana sign with or send)", secret),
    err,
    h("div", { class: "row-actions" }, h("button", { type: "button", class: "btn", onclick: onCancel }, "Cancel"), submit));
  onCreateSubmit(form, {
    submit, err, onCreated,
    prepare: () => {
      const body = { name: name.value.trim() };
      if (!body.name) return { problem: "Give the webhook a name.", focus: name };
      if (avatarUrl.value.trim()) body.avatar_url = avatarUrl.value.trim();
      if (secret.value) body.secret = secret.value;
      return { body };
    },
    post: (body) => api("POST", `/channels/${channel.value}/hooks`, body, { quiet: true }),
    explain: (ex) => (ex.field === "avatar_url" ? "The picture address must start with https:// or http://."
      : ex.field === "secret" ? "The secret needs 8 to 256 printable characters." : ex.message),
  });
  queueMicrotask(() => name.focus());
  return form;
}

function hookRow(hk, st, { draw, drawList }) {
  const ch = S.channels.get(hk.channel_id);
  const replace = (v) => { st.hooks = st.hooks.map((x) => (x.id === v.id ? v : x)); };
  const rename = async () => {
    const name = await promptDialog("Rename webhook", "Name", hk.name, { maxlength: 80, ok: "Rename" });
    if (!name || name === hk.name) return;
    try { replace(await api("PATCH", `/hooks/${hk.id}`, { name })); } catch { return; }
    drawList();
    const again = document.querySelector(`[data-hook-id="${CSS.escape(hk.id)}"] button`);
    if (again) again.focus(); // the row was redrawn: back on its Rename button
  };
  const rotate = async () => {
    const ok = await confirmDialog(`${hk.name} gets a new URL, shown once. The current one stops working at once.`,
      { title: "Replace the webhook’s URL?", confirm: "New URL" });
    if (!ok) return;
    try {
      const made = await api("POST", `/hooks/${hk.id}/rotate`);
      replace(stripUrl(made));
      st.shown = { made, rotated: true };
      st.form = null;
    } catch { return; }
    draw();
  };
  const remove = async () => {
    const ok = await confirmDialog(`Tools that post to ${hk.name} will be refused. What it posted stays.`,
      { title: "Delete this webhook?", confirm: "Delete webhook" });
    if (!ok) return;
    try { await api("DELETE", `/hooks/${hk.id}`); } catch { return; }
    st.hooks = st.hooks.filter((x) => x.id !== hk.id);
    toast(`${hk.name} was deleted.`);
    if (st.shown && st.shown.made.id === hk.id) { st.shown = null; draw(); } else drawList();
    const next = document.querySelector('#integrations-body [data-testid="hook"] button, #integrations-body [data-testid="hook-new"]');
    if (next) next.focus();
  };
  const who = hk.created_by === S.me.id ? "you" : userName(hk.created_by, "a former member");
  const made = `Made by ${who} · created ${when(hk.created_at)}`;
  const rotated = hk.rotated_at ? ` · new URL ${when(hk.rotated_at)}` : "";
  const used = hk.last_used_at ? `last used ${when(hk.last_used_at)}` : "not used yet";
  return h("li", { class: "int-row", "data-testid": "hook", "data-hook-id": hk.id },
    h("div", { class: "int-main" },
      h("div", { class: "int-name" }, hk.name, hk.has_secret ? h("span", { class: "tag" }, "secret") : null),
      h("div", { class: "int-sub" }, ch ? channelLabel(ch) : "a channel you are not in", " · ", h("code", null, `${hk.token_prefix}…`)),
      h("div", { class: "int-sub" }, `${made}${rotated} · ${used}`)),
    h("div", { class: "int-actions" },
      h("button", { type: "button", class: "btn small", "aria-label": `Rename ${hk.name}`, onclick: rename }, "Rename"),
      h("button", { type: "button", class: "btn small", "aria-label": `New URL for ${hk.name}`, "data-testid": "hook-rotate", onclick: rotate }, "New URL"),
      h("button", { type: "button", class: "btn small danger-outline", "aria-label": `Delete ${hk.name}`, "data-testid": "hook-delete", onclick: remove }, "Delete")));
}
