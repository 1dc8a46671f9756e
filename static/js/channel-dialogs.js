/*
 * The create-channel and browse-channels dialogs.
 */

import { $, h } from "./dom.js";
import { icon } from "./icons.js";
import { api } from "./api.js";
import { mergeChannel, S } from "./state.js";
import { renderSidebar } from "./sidebar.js";
import { go } from "./nav.js";
import { ensureChannel } from "./channels.js";
import { loadBrowse } from "./autocomplete.js";

export function openCreateChannel() {
  if (!S.wsId) return;
  $("#create-form").reset();
  $("#create-error").hidden = true;
  $("#create-dialog").showModal();
  $("#create-name").focus();
}

export function bindCreateChannel() {
  const nameInput = $("#create-name");
  nameInput.addEventListener("input", () => {
    // Suggest the slug form as you type (the server lower-cases and validates).
    const v = nameInput.value;
    const slug = v.toLowerCase().replace(/\s+/g, "-").replace(/^#/, "");
    if (slug !== v) {
      const pos = nameInput.selectionStart;
      nameInput.value = slug;
      nameInput.setSelectionRange(pos, pos);
    }
  });
  $("#create-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = $("#create-error");
    err.hidden = true;
    const name = nameInput.value.trim();
    if (!name) { err.textContent = "Give the channel a name."; err.hidden = false; nameInput.focus(); return; }
    const body = { name, private: $("#create-private").checked, topic: $("#create-topic").value.trim() };
    try {
      const v = await api("POST", `/workspaces/${S.wsId}/channels`, body, { quiet: true });
      mergeChannel(v);
      S.browse.delete(S.wsId);
      $("#create-dialog").close();
      renderSidebar();
      go(v.workspace_id, v.id);
    } catch (ex) {
      err.textContent = ex.code === "already_exists" ? "A channel with that name already exists."
        : ex.field === "name" ? "Use only lower-case letters, digits, “-” and “_” in the name." : ex.message;
      err.hidden = false;
    }
  });
}

export async function openBrowse() {
  if (!S.wsId) return;
  const d = $("#browse-dialog");
  $("#browse-filter").value = "";
  $("#browse-list").replaceChildren(h("li", { class: "muted pad" }, "Loading channels…"));
  d.showModal();
  $("#browse-filter").focus();
  S.browse.delete(S.wsId);
  const list = await loadBrowse(S.wsId);
  renderBrowse(list);
}

export function renderBrowse(list) {
  const q = $("#browse-filter").value.trim().toLowerCase().replace(/^#/, "");
  const rows = (list || S.browse.get(S.wsId) || [])
    .filter((c) => !q || (c.name || "").includes(q) || (c.topic || "").toLowerCase().includes(q))
    .map((c) => {
      const joined = !!(S.channels.get(c.id) && S.channels.get(c.id).membership) || !!c.membership;
      const open = () => { $("#browse-dialog").close(); go(c.workspace_id, c.id); };
      return h("li", { class: "browse-row", "data-testid": "browse-item", "data-channel-id": c.id },
        h("button", { type: "button", class: "browse-main", onclick: open },
          h("span", { class: "browse-name" }, icon("hash", "ch-icon"), c.name, joined ? h("span", { class: "tag" }, "joined") : null),
          h("span", { class: "browse-sub" }, [c.member_count != null ? `${c.member_count} member${c.member_count === 1 ? "" : "s"}` : "", c.topic || c.purpose || ""].filter(Boolean).join(" · "))),
        joined
          ? h("button", { type: "button", class: "btn small", onclick: open }, "Open")
          : h("button", {
            type: "button", class: "btn small primary", "data-testid": "browse-join",
            onclick: async (e) => {
              e.currentTarget.disabled = true;
              try { await api("POST", `/channels/${c.id}/join`); } catch { e.currentTarget.disabled = false; return; }
              await ensureChannel(c.id, false, true);
              $("#browse-dialog").close();
              go(c.workspace_id, c.id);
            },
          }, "Join"));
    });
  $("#browse-list").replaceChildren(...(rows.length ? rows : [h("li", { class: "muted pad" }, q ? "No channel matches." : "No public channels yet.")]));
}
