/*
 * The offline bar: shown while the browser says it is offline, or while requests fail
 * to reach the server; hidden again, and the outbox told, once they get through. While
 * the server seems unreachable (and the browser online) /readyz is asked now and then:
 * any answer means it is back.
 */

import { $, h } from "./dom.js";
import { icon } from "./icons.js";

const Net = { browserOffline: false, unreachable: false, listeners: [] };
let bar = null;
let probeTimer = 0;
let probeDelay = 0;

/** Whether requests can be expected to reach the server. */
export const isOnline = () => !Net.browserOffline && !Net.unreachable;

/** Calls fn each time the connection comes back. */
export function onBackOnline(fn) { Net.listeners.push(fn); }

/** A request did not reach the server (fetch or XHR failed at the network level). */
export function noteServerUnreachable() {
  if (Net.unreachable) return;
  Net.unreachable = true;
  render();
  probeDelay = 2000;
  probeSoon();
}

function probeSoon() {
  clearTimeout(probeTimer);
  probeTimer = setTimeout(async () => {
    if (!Net.unreachable) return;
    try {
      await fetch("/readyz", { cache: "no-store", credentials: "omit" });
      noteServerAnswered();
    } catch {
      probeDelay = Math.min(30000, probeDelay * 2);
      probeSoon();
    }
  }, probeDelay);
}

/** The server answered something (any HTTP status), or the socket is back. */
export function noteServerAnswered() {
  if (!Net.unreachable) return;
  Net.unreachable = false;
  clearTimeout(probeTimer);
  changed();
}

function changed() {
  render();
  if (isOnline()) for (const fn of Net.listeners) fn();
}

function render() {
  if (!bar) return;
  const off = !isOnline();
  bar.hidden = !off;
  document.body.classList.toggle("net-offline", off);
  $("#offline-text").textContent = Net.browserOffline
    ? "You are offline. Messages you send now go out when the connection is back."
    : "The server cannot be reached. Messages you send now go out when it answers again.";
}

export function bindOffline() {
  Net.browserOffline = navigator.onLine === false;
  bar = h("div", { class: "conn-bar offline-bar", id: "offline-bar", role: "status", "data-testid": "offline-bar", hidden: true },
    icon("wifi-off"), h("span", { id: "offline-text" }));
  $("#reconnecting").after(bar);
  window.addEventListener("offline", () => { Net.browserOffline = true; render(); });
  window.addEventListener("online", () => { Net.browserOffline = false; Net.unreachable = false; changed(); });
  render();
}
