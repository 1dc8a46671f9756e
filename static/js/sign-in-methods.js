/*
 * The settings dialog's "Sign-in methods": the accounts at identity providers linked to
 * this one (each can be removed, unless it is the only way left to sign in) and a
 * button to link each configured provider not linked yet (the provider's sign-in,
 * then back to Settings).
 */

import { $, h } from "./dom.js";
import { api } from "./api.js";
import { toast } from "./toast.js";
import { fmtWhen } from "./util.js";

export async function renderSignInMethods() {
  const section = $("#set-sso-section");
  let providers = [];
  let mine = [];
  try {
    [providers, mine] = await Promise.all([api("GET", "/auth/sso/providers"), api("GET", "/me/sso-identities")]);
  } catch {
    section.hidden = true;
    return;
  }
  section.hidden = providers.length === 0 && mine.length === 0;
  $("#sso-none").hidden = mine.length > 0;
  $("#sso-identities").replaceChildren(...mine.map(identityRow));
  const linked = new Set(mine.map((i) => i.provider_id));
  $("#sso-link").replaceChildren(...providers.filter((p) => !linked.has(p.id)).map((p) =>
    h("button", { type: "button", class: "btn", "data-testid": "sso-link", onclick: () => startLink(p) },
      `Link ${p.name}`)));
}

// A POST from this page (not a link anyone could make a signed-in browser open), then
// on to the provider's sign-in in this tab.
async function startLink(p) {
  try {
    const { redirect_to } = await api("POST", "/me/sso-identities", { provider_id: p.id }, { quiet: true });
    location.assign(redirect_to);
  } catch (ex) {
    toast(ex.message, "error");
  }
}

function identityRow(i) {
  const name = i.provider_name || i.provider_id;
  const remove = async () => {
    try {
      await api("DELETE", `/me/sso-identities/${i.id}`, undefined, { quiet: true });
      toast(`${name} is no longer linked.`);
      renderSignInMethods();
    } catch (ex) {
      toast(ex.code === "last_sign_in_method"
        ? "This is your only way to sign in. Set a password or link another provider first."
        : ex.message, "error");
    }
  };
  return h("li", { class: "sso-identity", "data-testid": "sso-identity" },
    h("span", null, h("strong", { text: name }), i.email ? ` — ${i.email}` : "",
      h("span", { class: "hint", text: ` · last used ${fmtWhen(new Date(i.last_login_at))}` })),
    h("button", { type: "button", class: "btn small", onclick: remove, "aria-label": `Unlink ${name}` }, "Unlink"));
}
