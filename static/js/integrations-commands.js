/*
 * The Integrations page's slash commands tab (owners and admins): the workspace's own
 * commands, a new one (name, URL, description, usage hint, method) with its signing
 * secret shown once, and Delete. Built-ins are listed for reference.
 */

import { fill, h } from "./dom.js";
import { fmtWhen, toDate } from "./util.js";
import { api } from "./api.js";
import { S, userName } from "./state.js";
import { confirmDialog } from "./prompts.js";
import { toast } from "./toast.js";
import { shownOnce } from "./shown-once.js";
import { onCreateSubmit, urlRefusal } from "./create-form.js";

const when = (s) => fmtWhen(toDate(s));

/** ctx: { wsId, ws (WorkspaceView), admin, live() } from integrations.js. */
export function renderCommandsTab(panel, ctx) {
  const st = { list: null, error: null, form: null, shown: null };
  const top = h("div", { class: "int-top" });
  const list = h("div", { class: "int-list-slot" });
  const draw = () => {
    if (!ctx.live()) return;
    fill(top, topView(st, ctx, draw));
    fill(list, listView(st, draw));
  };
  fill(panel, h("p", { class: "hint" }, "Typing a command in the composer sends it, with the channel, the person and the text, to a URL; its answer is posted in the channel or shown only to whoever ran it. Type /help in any channel for the built-in ones."), top, list);
  draw();
  api("GET", `/workspaces/${ctx.wsId}/slash-commands`, undefined, { quiet: true })
    .then((l) => { st.list = l; })
    .catch((e) => { st.error = e.message; })
    .finally(draw);
}

function topView(st, ctx, draw) {
  const shown = st.shown ? shownOnce({
    title: `${st.shown.command} is ready`, value: st.shown.secret, what: "Signing secret", testid: "cmd-secret",
    onDone: () => { st.shown = null; draw(); },
    extra: [h("p", { class: "hint" }, "Requests carry Standard Webhooks headers signed with it (as outgoing webhooks do), and Slack’s form fields: ",
      h("code", null, "command"), ", ", h("code", null, "text"), ", ", h("code", null, "user_name"), ", ", h("code", null, "channel_id"), ", ",
      h("code", null, "response_url"), " …")],
  }) : null;
  if (st.form) return [shown, st.form];
  const start = () => {
    st.shown = null;
    st.form = commandForm(ctx, (made) => {
      st.form = null;
      st.shown = made;
      const { secret: _secret, ...view } = made;
      st.list = [...(st.list || []), view].sort((a, b) => a.command.localeCompare(b.command));
      draw();
    }, () => { st.form = null; draw(); });
    draw();
  };
  return [shown, h("div", { class: "row-actions start" },
    h("button", { type: "button", class: "btn primary", "data-testid": "cmd-new", onclick: start }, "New slash command"))];
}

function field(label, hint, input) {
  return h("label", { class: "field" }, h("span", null, label, hint ? h("em", null, ` ${hint}`) : null), input);
}

function commandForm(ctx, onCreated, onCancel) {
  const name = h("input", { maxlength: 33, required: true, autocomplete: "off", placeholder: "/deploy", "data-testid": "cmd-name" });
  const url = h("input", { type: "url", maxlength: 2048, required: true, autocomplete: "off", placeholder: "https://…", "data-testid": "cmd-url" });
  const description = h("input", { maxlength: 200, autocomplete: "off", placeholder: "Ship a build" });
  const usage = h("input", { maxlength: 100, autocomplete: "off", placeholder: "[environment]" });
  const method = h("select", null, h("option", { value: "POST" }, "POST (form body)"), h("option", { value: "GET" }, "GET (query string)"));
  const err = h("p", { class: "form-error", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "btn primary", "data-testid": "cmd-create" }, "Create command");
  const form = h("form", { class: "int-form", novalidate: true, "aria-label": "New slash command" },
    h("h3", null, "New slash command"),
    field("Command", "(letters, digits, - and _)", name), field("URL", null, url),
    field("Description", "(optional, shown in the autocomplete)", description), field("Usage hint", "(optional)", usage),
    field("Method", null, method), err,
    h("div", { class: "row-actions" }, h("button", { type: "button", class: "btn", onclick: onCancel }, "Cancel"), submit));
  onCreateSubmit(form, {
    submit, err, onCreated,
    prepare: () => {
      const body = { command: name.value.trim(), url: url.value.trim(), method: method.value, description: description.value, usage_hint: usage.value };
      return body.command && body.url ? { body } : { problem: "A command needs a name and a URL.", focus: body.command ? url : name };
    },
    post: (body) => api("POST", `/workspaces/${ctx.wsId}/slash-commands`, body, { quiet: true }),
    explain: urlRefusal,
  });
  queueMicrotask(() => name.focus());
  return form;
}

function listView(st, draw) {
  if (st.error) return h("p", { class: "form-error", role: "alert" }, st.error);
  if (!st.list) return h("p", { class: "muted" }, "Loading commands…");
  if (!st.list.length) return h("p", { class: "muted", "data-testid": "cmd-empty" }, "No commands of this workspace yet.");
  return h("ul", { class: "int-list", "aria-label": "Slash commands" }, st.list.map((c) => {
    const remove = async () => {
      const ok = await confirmDialog(`${c.command} stops working for everyone. What it posted stays.`, { title: "Delete this command?", confirm: "Delete command" });
      if (!ok) return;
      try { await api("DELETE", `/slash-commands/${c.id}`); } catch { return; }
      st.list = st.list.filter((x) => x.id !== c.id);
      toast(`${c.command} was deleted.`);
      draw();
      const next = document.querySelector('#integrations-body [data-testid="cmd"] button, #integrations-body [data-testid="cmd-new"]');
      if (next) next.focus();
    };
    const who = c.created_by === S.me.id ? "you" : userName(c.created_by, "a former member");
    return h("li", { class: "int-row", "data-testid": "cmd" },
      h("div", { class: "int-main" },
        h("div", { class: "int-name" }, c.command, c.usage_hint ? h("span", { class: "ac-hint" }, ` ${c.usage_hint}`) : null),
        h("div", { class: "int-sub" }, `${c.method} `, h("code", null, c.url)),
        h("div", { class: "int-sub" }, [c.description, `made by ${who}`, c.last_used_at ? `last used ${when(c.last_used_at)}` : "not used yet"].filter(Boolean).join(" · "))),
      h("div", { class: "int-actions" },
        h("button", { type: "button", class: "btn small danger-outline", "aria-label": `Delete ${c.command}`, "data-testid": "cmd-delete", onclick: remove }, "Delete")));
  }));
}
