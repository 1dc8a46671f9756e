/*
 * The settings dialog's "E-mail address": a new address is confirmed by a link mailed
 * to it (the present address is told); until then the account keeps the old one.
 */

import { $ } from "./dom.js";
import { api } from "./api.js";
import { S } from "./state.js";

export function renderEmailAddress() {
  $("#address-form").reset();
  $("#set-address-now").textContent = S.me.email || "";
  $("#address-error").hidden = true;
  $("#address-sent").hidden = true;
}

export function bindEmailAddress() {
  $("#address-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = $("#address-error");
    const sent = $("#address-sent");
    err.hidden = true;
    sent.hidden = true;
    const body = { new_email: $("#set-new-address").value.trim(), current_password: $("#set-address-password").value };
    if (!body.new_email || !body.current_password) {
      err.textContent = "Give the new address and your current password.";
      err.hidden = false;
      return;
    }
    try {
      const r = await api("POST", "/me/email", body, { quiet: true });
      $("#address-form").reset();
      sent.textContent = `Open the link we mailed to ${r.pending_email} within ${r.valid_hours} hours; until then you keep ${S.me.email}.`;
      sent.hidden = false;
    } catch (ex) {
      err.textContent = ex.code === "bad_credentials" ? "The current password is not right."
        : ex.code === "already_exists" ? "Another account uses that address."
          : ex.field === "new_email" ? `That address cannot be used: ${ex.message.replace(/^invalid new_email: /i, "").replace(/\.$/, "")}.`
            : ex.message;
      err.hidden = false;
    }
  });
}
