/*
 * A secret the server shows only once (a webhook's URL, a bot's token): a read-only
 * field with a Copy button, a warning, whatever explains its use, and Done to put it away.
 */

import { h } from "./dom.js";
import { toast } from "./toast.js";

/** Copies a field's value; where the clipboard is refused, selects it for Ctrl+C. */
export async function copyField(input, what) {
  try {
    await navigator.clipboard.writeText(input.value);
    toast(`${what} copied.`);
  } catch {
    input.focus();
    input.select();
    toast("Select it and copy it (Ctrl+C).");
  }
}

/** { title, value, what ("Webhook URL"), testid (on the field), extra (nodes), onDone } */
export function shownOnce({ title, value, what, testid, extra, onDone }) {
  const input = h("input", {
    class: "text-input secret-value", readonly: true, value, spellcheck: "false", autocomplete: "off",
    "aria-label": what, "data-testid": testid,
  });
  queueMicrotask(() => { if (input.isConnected) { input.focus(); input.select(); } });
  return h("section", { class: "shown-once", "aria-label": title, "data-testid": "shown-once" },
    h("h3", null, title),
    h("p", { class: "hint" }, "Copy it now: it is shown only this once. Keep it secret: anyone who has it can use it."),
    h("div", { class: "copy-row" }, input,
      h("button", { type: "button", class: "btn primary", "data-testid": `${testid}-copy`, onclick: () => copyField(input, what) }, "Copy")),
    extra || null,
    h("div", { class: "row-actions" }, h("button", { type: "button", class: "btn", onclick: onDone }, "Done")));
}
