/*
 * Confirm and prompt dialogs (promises of the answer).
 */

import { $, cls } from "./dom.js";

export function confirmDialog(message, { confirm = "Delete", title = "Are you sure?", danger = true } = {}) {
  const d = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = message;
  const ok = $("#confirm-ok");
  ok.textContent = confirm;
  ok.className = cls("btn", danger ? "danger" : "primary");
  d.returnValue = "";
  return new Promise((resolve) => {
    d.addEventListener("close", () => resolve(d.returnValue === "ok"), { once: true });
    d.showModal();
    ok.focus();
  });
}

export function promptDialog(title, label, value, { maxlength = 250, ok = "Save" } = {}) {
  const d = $("#prompt-dialog");
  $("#prompt-title").textContent = title;
  $("#prompt-label").textContent = label;
  $("#prompt-ok").textContent = ok;
  const input = $("#prompt-input");
  input.value = value;
  input.maxLength = maxlength;
  d.returnValue = "";
  return new Promise((resolve) => {
    d.addEventListener("close", () => resolve(d.returnValue === "ok" ? input.value.trim() : null), { once: true });
    d.showModal();
    input.select();
  });
}
