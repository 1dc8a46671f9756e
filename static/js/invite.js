/*
 * Invite people: workspace owners and admins make an invitation link (optionally for
 * one e-mail address) and copy it to share. The link leads to the /invite page.
 */

import { $ } from "./dom.js";
import { api } from "./api.js";
import { S } from "./state.js";
import { toast } from "./toast.js";

export function canInvite() {
  const ws = S.workspaces.find((w) => w.id === S.wsId);
  return !!ws && (ws.my_role === "owner" || ws.my_role === "admin");
}

/** Show the sidebar's "Invite people" button only to those who may invite. */
export function renderInviteButton() {
  $("#invite-btn").hidden = !canInvite();
}

export function openInvite() {
  if (!canInvite()) return;
  const ws = S.workspaces.find((w) => w.id === S.wsId);
  $("#invite-form").reset();
  $("#invite-ws").textContent = `New people join ${ws.name} with the link; an address-bound link works once.`;
  $("#invite-error").hidden = true;
  $("#invite-result").hidden = true;
  $("#invite-create").hidden = false;
  $("#invite-dialog").showModal();
  $("#invite-email").focus();
}

export function bindInvite() {
  $("#invite-btn").addEventListener("click", openInvite);
  $("#invite-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = $("#invite-error");
    err.hidden = true;
    const email = $("#invite-email").value.trim();
    const body = {
      role: $("#invite-role").value,
      expires_in_hours: Number($("#invite-expiry").value),
      ...(email ? { email } : {}),
    };
    try {
      const inv = await api("POST", `/workspaces/${S.wsId}/invites`, body, { quiet: true });
      $("#invite-link").value = inv.url;
      const mailed = $("#invite-mailed");
      mailed.textContent = inv.email ? `The link is on its way to ${inv.email}. You can also share it yourself:` : "";
      mailed.hidden = !inv.email;
      $("#invite-result").hidden = false;
      $("#invite-create").hidden = true;
      $("#invite-link").select();
    } catch (ex) {
      err.textContent = ex.field === "email" ? "That e-mail address does not look right." : ex.message;
      err.hidden = false;
    }
  });
  $("#invite-copy").addEventListener("click", async () => {
    const link = $("#invite-link");
    try {
      await navigator.clipboard.writeText(link.value);
      toast("Invitation link copied.");
    } catch {
      link.select();
      toast("Select the link and copy it (Ctrl+C).");
    }
  });
  $("#invite-again").addEventListener("click", () => {
    $("#invite-result").hidden = true;
    $("#invite-create").hidden = false;
    $("#invite-email").value = "";
    $("#invite-email").focus();
  });
}
