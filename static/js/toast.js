/*
 * Toasts: short notes and errors in the corner of the screen.
 */

import { $, h } from "./dom.js";
import { icon } from "./icons.js";

export function toast(message, kind = "info", code = null) {
  const box = $("#toasts");
  if (!box) return;
  const t = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status", "data-testid": "toast" },
    h("span", { class: "toast-text" }, message),
    code && h("code", { class: "toast-code" }, code),
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
  let msg = e.message || "Something went wrong.";
  if (e.code === "rate_limited" && e.retryAfter) msg += ` Try again in ${e.retryAfter} s.`;
  toast(msg, "error", e.code);
}
