/*
 * The settings dialog: profile and status, do not disturb or away, theme, e-mail
 * notifications (email-settings.js) and address (email-address.js), linked identity
 * providers (sign-in-methods.js), desktop notifications, password, sign out (here or
 * everywhere; after a provider's sign-in, the sign-in page offers its sign-out).
 */

import { LS_NOTIFY, LS_THEME } from "./constants.js";
import { $, $$ } from "./dom.js";
import { store } from "./util.js";
import { toast } from "./toast.js";
import { api, goLogin } from "./api.js";
import { channelLabel, RT, S, V } from "./state.js";
import { renderMe, setChosenPresence } from "./presence.js";
import { rememberUser, renderAllSoon } from "./users.js";
import { notifyControls } from "./details.js";
import { bindEmailSettings, renderEmailSettings } from "./email-settings.js";
import { bindEmailAddress, renderEmailAddress } from "./email-address.js";
import { renderSignInMethods } from "./sign-in-methods.js";

/** System default, light or dark; stored per browser (theme.js applies the stored one before first paint). */
function applyTheme(t) {
  const root = document.documentElement;
  if (t === "light" || t === "dark") root.dataset.theme = t;
  else delete root.dataset.theme;
}

export function openSettings() {
  const d = $("#settings-dialog");
  $("#set-name").value = S.me.display_name;
  const st = S.me.status;
  $("#set-status-emoji").value = (st && st.emoji) || "";
  $("#set-status-text").value = (st && st.text) || "";
  $("#profile-error").hidden = true;
  $("#set-dnd").checked = !!S.me.dnd;
  $("#set-away").checked = !!S.me.away;
  $("#password-form").reset();
  $("#password-user").value = S.me.email || "";
  $("#password-error").hidden = true;
  const theme = store.get(LS_THEME) || "system";
  for (const r of $$('input[name="theme"]', d)) r.checked = r.value === theme;
  renderNotifySettings();
  renderEmailSettings();
  renderEmailAddress();
  renderSignInMethods();
  const ch = S.channels.get(V.channelId);
  const sec = $("#set-channel-section");
  sec.hidden = !(ch && ch.membership);
  if (ch && ch.membership) {
    $("#set-channel-h").textContent = `Notifications for ${channelLabel(ch)}`;
    $("#set-channel-controls").replaceChildren(notifyControls(ch, "settings"));
  }
  d.showModal();
}

function renderNotifySettings() {
  const state = $("#notify-state");
  const btn = $("#notify-enable");
  const row = $("#notify-toggle-row");
  if (!("Notification" in window)) {
    state.textContent = "This browser does not support desktop notifications.";
    btn.hidden = true; row.hidden = true;
    return;
  }
  const perm = Notification.permission;
  if (perm === "granted") {
    state.textContent = "Parley may show notifications. Channel settings and do not disturb decide which.";
    btn.hidden = true; row.hidden = false;
    $("#notify-toggle").checked = store.get(LS_NOTIFY) === "1";
  } else if (perm === "denied") {
    state.textContent = "Notifications are blocked for this site. Allow them in the browser's site settings.";
    btn.hidden = true; row.hidden = true;
  } else {
    state.textContent = "Get a notification for mentions and direct messages while Parley is in the background.";
    btn.hidden = false; row.hidden = true;
  }
}

export function bindSettings() {
  bindEmailSettings();
  bindEmailAddress();
  $("#profile-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = $("#set-name").value.trim();
    const emoji = $("#set-status-emoji").value.trim();
    const text = $("#set-status-text").value.trim();
    const err = $("#profile-error");
    err.hidden = true;
    if (!name) { err.textContent = "Your display name cannot be empty."; err.hidden = false; return; }
    const body = { display_name: name, status: emoji || text ? { text: text || null, emoji: emoji || null } : null };
    try {
      const me = await api("PATCH", "/me", body, { quiet: true });
      applyMe(me);
      toast("Profile saved.");
    } catch (ex) {
      err.textContent = ex.message;
      err.hidden = false;
    }
  });
  $("#clear-status").addEventListener("click", async () => {
    try {
      const me = await api("PATCH", "/me", { status: null });
      applyMe(me);
      $("#set-status-emoji").value = "";
      $("#set-status-text").value = "";
      toast("Status cleared.");
    } catch { /* toast */ }
  });
  for (const flag of ["dnd", "away"]) {
    $(`#set-${flag}`).addEventListener("change", async (e) => {
      const on = e.target.checked;
      try {
        await setChosenPresence({ [flag]: on });
      } catch { e.target.checked = !on; }
    });
  }
  for (const r of $$('#settings-dialog input[name="theme"]')) {
    r.addEventListener("change", () => {
      if (!r.checked) return;
      store.set(LS_THEME, r.value === "system" ? null : r.value);
      applyTheme(r.value);
    });
  }
  $("#notify-enable").addEventListener("click", async () => {
    try {
      const perm = await Notification.requestPermission();
      if (perm === "granted") {
        store.set(LS_NOTIFY, "1");
        new Notification("Notifications are on", { body: "You will be notified about mentions and direct messages." });
      }
    } catch { /* older browsers */ }
    renderNotifySettings();
  });
  $("#notify-toggle").addEventListener("change", (e) => store.set(LS_NOTIFY, e.target.checked ? "1" : "0"));
  $("#sign-out").addEventListener("click", () => signOut("/auth/logout"));
  $("#sign-out-all").addEventListener("click", () => signOut("/auth/logout-all"));
  $("#password-form").addEventListener("submit", changePassword);
}

async function changePassword(e) {
  e.preventDefault();
  const err = $("#password-error");
  err.hidden = true;
  const current = $("#set-current-password");
  const next = $("#set-new-password");
  if (next.value.length < 8) {
    err.textContent = "The new password needs at least 8 characters.";
    err.hidden = false;
    next.focus();
    return;
  }
  try {
    RT.quietSignOutUntil = Date.now() + 10_000;
    await api("POST", "/me/password", { current_password: current.value, new_password: next.value }, { quiet: true });
    current.value = "";
    next.value = "";
    toast("Password changed. Every other device is signed out.");
  } catch (ex) {
    err.textContent = ex.code === "bad_credentials" ? "The current password is not right." : ex.message;
    err.hidden = false;
  }
}

function applyMe(me) {
  S.me = me;
  rememberUser(me);
  S.viewRev++;
  renderMe();
  renderAllSoon();
}

async function signOut(path) {
  RT.stopped = true;
  let provider = null;
  try { provider = (await api("POST", path, undefined, { quiet: true }))?.provider; } catch { /* leaving anyway */ }
  // Signed in through an identity provider that offers sign-out: the sign-in page offers it too.
  if (provider) location.assign(`/login?signed_out_of=${encodeURIComponent(provider.id)}`);
  else goLogin();
}
