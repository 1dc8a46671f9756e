/*
 * Toasts: short notes and errors in the corner of the screen, each a plain sentence
 * (an error's code is kept in data-code, out of sight).
 */

import { $, h } from "./dom.js";
import { icon } from "./icons.js";
import { sentence } from "./errors.js";

export function toast(message, kind = "info", code = null) {
  const box = $("#toasts");
  if (!box) return;
  const t = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status", "data-testid": "toast", "data-code": code },
    h("span", { class: "toast-text" }, sentence(message)),
    h("button", { type: "button", class: "icon-btn small toast-close", "aria-label": "Dismiss", onclick: () => t.remove() }, icon("x")));
  box.append(t);
  // Re-shown, the popover goes to the top of the top layer: above any open dialog.
  if (box.showPopover) {
    if (box.matches(":popover-open")) box.hidePopover();
    box.showPopover();
  }
  setTimeout(() => t.remove(), kind === "error" ? 8000 : 4000);
  while (box.children.length > 4) box.firstElementChild.remove();
}

export function toastError(e) {
  if (!e || e.code === "aborted" || e.status === 401) return;
  toast(e.message || "Something went wrong.", "error", e.code);
}
