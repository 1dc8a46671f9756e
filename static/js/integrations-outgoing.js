/*
 * The Integrations page's outgoing webhooks tab: subscriptions that send events to a URL
 * (all public channels for owners and admins; one channel I am in for whoever may create
 * webhooks there). The signing secret is shown once, with how to verify it. Each hook has
 * its delivery log (every attempt: time, status, latency, answer or refusal), Redeliver for
 * a finished delivery, Send test, turn off / on, a new secret and Delete.
 */

import { fill, h } from "./dom.js";
import { fmtWhen, toDate } from "./util.js";
import { api } from "./api.js";
import { channelLabel, channelsOf, isConv, S, userName } from "./state.js";
import { confirmDialog } from "./prompts.js";
import { toast } from "./toast.js";
import { shownOnce } from "./shown-once.js";
import { onCreateSubmit, urlRefusal } from "./create-form.js";

const EVENTS = [
  ["message.created", "New messages"], ["message.edited", "Edited messages"], ["message.deleted", "Deleted messages"],
  ["reaction.added", "Reactions added"], ["reaction.removed", "Reactions removed"],
  ["member.joined", "People joining"], ["member.left", "People leaving"],
  ["channel.created", "Channels created"], ["channel.archived", "Channels archived"],
];
const when = (s) => fmtWhen(toDate(s));
const mayCreate = (ctx) => ctx.admin || !!ctx.ws.members_create_hooks;

/** ctx: { wsId, ws (WorkspaceView), admin, live() } from integrations.js. */
export function renderOutgoingTab(panel, ctx) {
  const st = { hooks: null, error: null, form: null, shown: null, logs: new Map() };
  const top = h("div", { class: "int-top" });
  const list = h("div", { class: "int-list-slot" });
  const drawTop = () => { if (ctx.live()) fill(top, topView(st, ctx, draw)); };
  const drawList = () => { if (ctx.live()) fill(list, listView(st, { draw, drawList })); };
  const draw = () => { drawTop(); drawList(); };
  fill(panel, h("p", { class: "hint" }, "Parley tells other tools what happens here: each event is POSTed to their URL, signed, and retried for a day if they do not answer.",
    ctx.admin ? null : " You see the ones you made."), top, list);
  draw();
  api("GET", `/workspaces/${ctx.wsId}/outgoing-hooks`, undefined, { quiet: true })
    .then((hooks) => { st.hooks = hooks; })
    .catch((e) => { st.error = e.message; })
    .finally(drawList);
}

function topView(st, ctx, draw) {
  const shown = st.shown ? secretShownOnce(st.shown, () => { st.shown = null; draw(); }) : null;
  if (!mayCreate(ctx)) {
    return [shown, h("p", { class: "hint", "data-testid": "out-create-denied" }, "Only workspace owners and admins may create webhooks here.")];
  }
  if (st.form) return [shown, st.form];
  const start = () => {
    st.shown = null;
    st.form = outgoingForm(ctx, (made) => {
      st.form = null;
      st.shown = made;
      const { secret: _secret, ...view } = made;
      st.hooks = [...(st.hooks || []), view];
      draw();
    }, () => { st.form = null; draw(); });
    draw();
  };
  return [shown, h("div", { class: "row-actions start" },
    h("button", { type: "button", class: "btn primary", "data-testid": "out-new", onclick: start }, "New outgoing webhook"))];
}

function secretShownOnce(made, onDone) {
  const python = `from standardwebhooks.webhooks import Webhook\nevent = Webhook("${made.secret}").verify(body, headers)`;
  return shownOnce({
    title: `The signing secret of “${made.name}”`, value: made.secret, what: "Signing secret", testid: "out-secret", onDone,
    extra: [
      h("p", { class: "hint" }, "Each request carries ", h("code", null, "webhook-id"), ", ", h("code", null, "webhook-timestamp"),
        " and ", h("code", null, "webhook-signature"), " (Standard Webhooks). Verify them with a Standard Webhooks library, e.g. in Python:"),
      h("pre", { class: "int-code" }, h("code", null, python)),
    ],
  });
}

function field(label, hint, input) {
  return h("label", { class: "field" }, h("span", null, label, hint ? h("em", null, ` ${hint}`) : null), input);
}

function outgoingForm(ctx, onCreated, onCancel) {
  const chans = channelsOf(S.wsId).filter((c) => !isConv(c)).sort((a, b) => (a.name || "").localeCompare(b.name || ""));
  const name = h("input", { maxlength: 80, required: true, autocomplete: "off", placeholder: "e.g. Deploy bot", "data-testid": "out-name" });
  const url = h("input", { type: "url", maxlength: 2048, required: true, autocomplete: "off", placeholder: "https://…", "data-testid": "out-url" });
  const scope = h("select", { "data-testid": "out-scope" },
    ctx.admin ? h("option", { value: "" }, "Every public channel") : null,
    chans.map((c) => h("option", { value: c.id }, channelLabel(c))));
  const boxes = EVENTS.map(([id, label]) => [id, h("input", { type: "checkbox", value: id, checked: id === "message.created", "data-testid": `out-event-${id}` }), label]);
  const events = h("fieldset", { class: "scopes" }, h("legend", null, "Events"),
    boxes.map(([, box, label]) => h("label", { class: "check" }, box, h("span", null, label))));
  const words = h("input", { maxlength: 400, autocomplete: "off", placeholder: "deploy, rollback", "data-testid": "out-words" });
  const prefix = h("input", { maxlength: 40, autocomplete: "off", placeholder: "!" });
  const err = h("p", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "btn primary", "data-testid": "out-create" }, "Create outgoing webhook");
  const form = h("form", { class: "int-form", novalidate: true, "aria-label": "New outgoing webhook", "data-testid": "out-form" },
    h("h3", null, "New outgoing webhook"),
    field("Name", "(its replies are posted with this name)", name),
    field("URL", "(where events are POSTed)", url),
    field("Where", null, scope),
    events,
    field("Trigger words", "(optional: only messages whose first word is one of these, comma-separated)", words),
    field("Prefix", "(optional: or that start with this)", prefix),
    err,
    h("div", { class: "row-actions" }, h("button", { type: "button", class: "btn", onclick: onCancel }, "Cancel"), submit));
  onCreateSubmit(form, {
    submit, err, onCreated,
    prepare: () => {
      const body = {
        name: name.value.trim(), url: url.value.trim(),
        events: boxes.filter(([, box]) => box.checked).map(([id]) => id),
      };
      if (scope.value) body.channel_id = scope.value;
      const list = words.value.split(/[,\s]+/).map((w) => w.trim()).filter(Boolean);
      if (list.length) body.trigger_words = list;
      if (prefix.value.trim()) body.prefix = prefix.value;
      if (!body.name) return { problem: "Give the webhook a name.", focus: name };
      if (!body.url) return { problem: "Say where to send events.", focus: url };
      if (!body.events.length) return { problem: "Choose at least one event.", focus: boxes[0][1] };
      return { body };
    },
    post: (body) => api("POST", `/workspaces/${ctx.wsId}/outgoing-hooks`, body, { quiet: true }),
    explain: urlRefusal,
  });
  queueMicrotask(() => name.focus());
  return form;
}

function listView(st, redraw) {
  if (st.error) return h("p", { class: "form-error", role: "alert" }, st.error);
  if (!st.hooks) return h("p", { class: "muted" }, "Loading outgoing webhooks…");
  if (!st.hooks.length) return h("p", { class: "muted", "data-testid": "out-empty" }, "No outgoing webhooks yet.");
  return h("ul", { class: "int-list", "aria-label": "Outgoing webhooks" }, st.hooks.map((hk) => hookRow(hk, st, redraw)));
}

function hookRow(hk, st, { draw, drawList }) {
  const replace = (v) => { st.hooks = st.hooks.map((x) => (x.id === v.id ? v : x)); };
  const refocus = (testid) => {
    const el = document.querySelector(`[data-out-id="${CSS.escape(hk.id)}"] [data-testid="${testid}"]`);
    if (el) el.focus();
  };
  const toggle = async () => {
    try { replace(await api("PATCH", `/outgoing-hooks/${hk.id}`, { enabled: !hk.enabled })); } catch { return; }
    drawList();
    refocus("out-toggle");
  };
  const test = async () => {
    try { await api("POST", `/outgoing-hooks/${hk.id}/test`); } catch { return; }
    toast(`A test event is on its way to ${hk.name}.`);
    if (st.logs.has(hk.id)) await loadLog(hk, st, drawList);
  };
  const rotate = async () => {
    const ok = await confirmDialog(`${hk.name} gets a new signing secret, shown once. For 24 hours requests carry signatures with both, so the receiver can switch over.`,
      { title: "Replace the signing secret?", confirm: "New secret" });
    if (!ok) return;
    try {
      const made = await api("POST", `/outgoing-hooks/${hk.id}/rotate`);
      const { secret: _secret, ...view } = made;
      replace(view);
      st.shown = made;
      st.form = null;
    } catch { return; }
    draw();
  };
  const remove = async () => {
    const ok = await confirmDialog(`${hk.name} stops receiving events, and its delivery log is deleted.`,
      { title: "Delete this outgoing webhook?", confirm: "Delete webhook" });
    if (!ok) return;
    try { await api("DELETE", `/outgoing-hooks/${hk.id}`); } catch { return; }
    st.hooks = st.hooks.filter((x) => x.id !== hk.id);
    st.logs.delete(hk.id);
    toast(`${hk.name} was deleted.`);
    drawList();
    const next = document.querySelector('#integrations-body [data-testid="out-hook"] button, #integrations-body [data-testid="out-new"]');
    if (next) next.focus();
  };
  const showLog = async () => {
    if (st.logs.has(hk.id)) { st.logs.delete(hk.id); drawList(); refocus("out-log"); return; }
    await loadLog(hk, st, drawList);
    refocus("out-log");
  };
  const ch = hk.channel_id ? S.channels.get(hk.channel_id) : null;
  const where = hk.channel_id ? (ch ? channelLabel(ch) : "a channel you are not in") : "every public channel";
  const who = hk.created_by === S.me.id ? "you" : userName(hk.created_by, "a former member");
  const filters = [hk.trigger_words ? `first word ${hk.trigger_words.join(" / ")}` : null, hk.prefix ? `starting with “${hk.prefix}”` : null].filter(Boolean);
  const open = st.logs.has(hk.id);
  return h("li", { "data-testid": "out-hook", "data-out-id": hk.id },
    h("div", { class: "int-row" },
      h("div", { class: "int-main" },
        h("div", { class: "int-name" }, hk.name, hk.enabled ? null : h("span", { class: "tag", "data-testid": "out-off" }, "off")),
        h("div", { class: "int-sub" }, where, " → ", h("code", null, hk.url)),
        h("div", { class: "int-sub" }, hk.events.join(", "), filters.length ? ` · ${filters.join(" or ")}` : ""),
        hk.enabled ? null : h("div", { class: "int-sub", "data-testid": "out-reason" }, `Turned off: ${hk.disabled_reason || "by hand"}`),
        h("div", { class: "int-sub" }, `Made by ${who} · ${hk.last_delivery_at ? `last delivery ${when(hk.last_delivery_at)}` : "nothing sent yet"}`,
          hk.previous_secret_until ? ` · the previous secret signs until ${when(hk.previous_secret_until)}` : "")),
      h("div", { class: "int-actions" },
        h("button", { type: "button", class: "btn small", "aria-expanded": open ? "true" : "false", "aria-controls": `out-log-${hk.id}`,
          "aria-label": `Delivery log of ${hk.name}`, "data-testid": "out-log", onclick: showLog }, "Deliveries"),
        h("button", { type: "button", class: "btn small", "aria-label": `Send a test event to ${hk.name}`, "data-testid": "out-test", onclick: test }, "Send test"),
        h("button", { type: "button", class: "btn small", "aria-label": `${hk.enabled ? "Turn off" : "Turn on"} ${hk.name}`, "data-testid": "out-toggle", onclick: toggle }, hk.enabled ? "Turn off" : "Turn on"),
        h("button", { type: "button", class: "btn small", "aria-label": `New secret for ${hk.name}`, onclick: rotate }, "New secret"),
        h("button", { type: "button", class: "btn small danger-outline", "aria-label": `Delete ${hk.name}`, onclick: remove }, "Delete"))),
    open ? logView(hk, st.logs.get(hk.id), st, drawList) : null);
}

async function loadLog(hk, st, drawList) {
  try {
    st.logs.set(hk.id, await api("GET", `/outgoing-hooks/${hk.id}/deliveries?limit=20`, undefined, { quiet: true }));
  } catch (e) {
    st.logs.set(hk.id, { error: e.message });
  }
  drawList();
}

function attemptLine(a) {
  const what = a.status != null ? `${a.status}` : "no answer";
  const detail = a.error || a.response_excerpt || "";
  return h("li", { "data-testid": "out-attempt" }, h("span", { class: a.status >= 200 && a.status < 300 ? "ok" : "bad" }, what),
    ` · ${when(a.at)} · ${a.latency_ms} ms`, detail ? h("span", { class: "int-excerpt" }, ` · ${detail.slice(0, 200)}`) : null);
}

function logView(hk, log, st, drawList) {
  const body = log.error ? h("p", { class: "form-error", role: "alert" }, log.error)
    : !log.length ? h("p", { class: "muted" }, "Nothing sent yet. Send a test event to check the receiver.")
    : h("ul", { class: "int-deliveries" }, log.map((d) => {
      const redeliver = async () => {
        try { await api("POST", `/outgoing-hooks/${hk.id}/deliveries/${d.id}/redeliver`); } catch { return; }
        toast("Sent again, with the same webhook-id.");
        await loadLog(hk, st, drawList);
      };
      const state = d.state === "pending" && d.next_attempt_at ? `pending, next try ${when(d.next_attempt_at)}` : d.state;
      return h("li", { "data-testid": "out-delivery" },
        h("div", { class: "int-name" }, d.event_type, " ", h("span", { class: `tag ${d.state}` }, state),
          d.state === "pending" ? null : h("button", { type: "button", class: "btn small", "data-testid": "out-redeliver", "aria-label": `Redeliver ${d.event_type} of ${when(d.created_at)}`, onclick: redeliver }, "Redeliver")),
        h("div", { class: "int-sub" }, h("code", null, d.webhook_id), ` · ${when(d.created_at)}`),
        h("ol", { class: "int-attempts" }, d.attempt_log.map(attemptLine)));
    }));
  return h("section", { class: "int-tokens", id: `out-log-${hk.id}`, "aria-label": `Deliveries of ${hk.name}` },
    h("h4", null, "Recent deliveries"), body);
}
