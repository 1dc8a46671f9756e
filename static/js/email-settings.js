/*
 * The settings dialog's "E-mail notifications": how often missed messages are mailed,
 * and, beside it, every conversation whose own notification settings differ (muted,
 * mentions only, nothing) — they decide what is mailed too.
 */

import { $, h } from "./dom.js";
import { api } from "./api.js";
import { channelLabel, S } from "./state.js";
import { go } from "./nav.js";

const LEVELS = { all: "every message", mentions: "mentions only", none: "nothing" };

let current = null;
// Saves run one after another, each with what the form holds when it starts, so the
// last change is the one that stays.
let saving = Promise.resolve();

function showDelay() {
  const after = $("#set-email-frequency").value === "after_delay";
  $("#set-email-delay-row").hidden = !after;
}

/** Shows what is saved; `fill` also puts it in the form (on opening, not after a save,
 * which would overwrite what is being typed). */
function show(v, fill) {
  current = v;
  if (fill) {
    $("#set-email-frequency").value = v.frequency;
    const delay = $("#set-email-delay");
    delay.placeholder = String(Math.max(1, Math.round(v.server_delay_minutes)));
    delay.value = v.delay_minutes == null ? "" : String(v.delay_minutes);
    showDelay();
  }
  $("#set-email-state").textContent = `You are mailed ${v.description}.`;
}

function overrides() {
  const list = [...S.channels.values()].filter((c) => c.membership && !c.archived_at
    && (c.membership.muted || (c.membership.notify_level && c.membership.notify_level !== "default")));
  if (!list.length) return h("p", { class: "hint" }, "No conversation has settings of its own.");
  list.sort((a, b) => channelLabel(a).localeCompare(channelLabel(b)));
  return [
    h("p", { class: "hint" }, "These conversations have settings of their own, for mails too:"),
    h("ul", { class: "plain-list" }, list.map((c) => {
      const m = c.membership;
      const what = m.muted ? "muted" : LEVELS[m.notify_level] || m.notify_level;
      const open = (e) => { e.preventDefault(); $("#settings-dialog").close(); go(c.workspace_id, c.id); };
      return h("li", { "data-testid": "email-override" },
        h("a", { href: `#/w/${c.workspace_id}/c/${c.id}`, onclick: open }, channelLabel(c)), ` — ${what}`);
    })),
  ];
}

export async function renderEmailSettings() {
  $("#set-email-overrides").replaceChildren(...[overrides()].flat());
  try {
    show(await api("GET", "/me/email-notifications", undefined, { quiet: true }), true);
  } catch (e) {
    $("#set-email-state").textContent = `E-mail settings could not be loaded: ${e.message}`;
  }
}

function save() {
  saving = saving.then(saveNow);
}

async function saveNow() {
  const frequency = $("#set-email-frequency").value;
  const body = { frequency };
  const minutes = $("#set-email-delay").value.trim();
  if (frequency === "after_delay" && minutes) body.delay_minutes = Number(minutes);
  try {
    show(await api("PUT", "/me/email-notifications", body, { quiet: true }), false);
  } catch (e) {
    if (current) show(current, true);
    $("#set-email-state").textContent = e.field === "delay_minutes" ? "Choose 1 to 1440 minutes." : e.message;
  }
}

export function bindEmailSettings() {
  $("#set-email-frequency").addEventListener("change", () => { showDelay(); save(); });
  $("#set-email-delay").addEventListener("change", save);
}
