/*
 * What integrations add to a message: the app's picture (an emoji, else initials) and
 * Slack-style attachments shown as cards. Only the server-sanitised *_html fields are
 * inserted as HTML; links must be http(s). Pictures from other sites (icon_url,
 * avatar_url, image_url) are never loaded: the CSP allows images only from this site,
 * and loading them would tell that site who reads the channel and when.
 */

import { cls, h } from "./dom.js";
import { emojiChar, fmtFull, fmtWhen, toDate } from "./util.js";
import { avatar } from "./presence.js";

const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

/** An absolute http(s) address, or null (javascript:, data:, relative and broken ones). */
export function httpUrl(s) {
  try {
    const u = new URL(String(s || ""));
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch {
    return null;
  }
}

const external = (href, text, klass) => h("a", { class: klass, href, target: "_blank", rel: "noopener noreferrer" }, text);
const linkOrText = (url, text, klass) => {
  const href = httpUrl(url);
  return href ? external(href, text, klass) : h("span", { class: klass }, text);
};

/** The app's icon_emoji as one emoji character (":rocket:", "rocket" or "🚀"), else null. */
function appEmoji(app) {
  const raw = String((app && app.icon_emoji) || "").trim().replace(/^:(.+):$/, "$1");
  if (!raw) return null;
  const ch = emojiChar(raw);
  return /\p{Extended_Pictographic}/u.test(ch) && Array.from(ch).length <= 8 ? ch : null;
}

/** The avatar of a message: the app's emoji if it gave one, else initials as for people. */
export function messageAvatar(m, aid, name) {
  const ch = appEmoji(m.app);
  return ch ? h("span", { class: "avatar avatar-emoji", "aria-hidden": "true" }, ch) : avatar(aid, name);
}

/** Server-sanitised card HTML, decorated like a message body (links, mentions, #channels). */
function sanitised(html, klass, decorate) {
  const el = h("div", { class: cls("msg-body", klass) });
  el.innerHTML = html; // CardView *_html: rendered and sanitised by the server, as MessageView.html
  decorate(el);
  return el;
}

function field(f, decorate) {
  return h("div", { class: cls("card-field", f.short && "short"), "data-testid": "card-field" },
    f.title ? h("div", { class: "card-field-title" }, f.title) : null,
    f.value_html ? sanitised(f.value_html, "card-field-value", decorate) : null);
}

function footer(c) {
  const ts = c.ts ? toDate(c.ts) : null;
  const when = ts && !Number.isNaN(ts.getTime()) ? ts : null;
  if (!c.footer && !when) return null;
  return h("div", { class: "card-footer" }, c.footer || null, c.footer && when ? " · " : null,
    when ? h("time", { datetime: when.toISOString(), title: fmtFull(when) }, fmtWhen(when)) : null);
}

function card(c, decorate) {
  const box = h("div", { class: "msg-card", "data-testid": "card" });
  if (HEX_COLOUR.test(c.color || "")) box.style.setProperty("--card-color", c.color);
  const fields = (c.fields || []).filter((f) => f.title || f.value_html);
  const image = httpUrl(c.image_url);
  box.append(...[
    c.author ? linkOrText(c.author_link, c.author, "card-author") : null,
    c.title ? h("div", { class: "card-title", "data-testid": "card-title" }, linkOrText(c.title_link, c.title)) : null,
    c.text_html ? sanitised(c.text_html, "card-text", decorate) : null,
    fields.length ? h("div", { class: "card-fields" }, fields.map((f) => field(f, decorate))) : null,
    image ? h("div", { class: "card-image" }, "Picture: ", external(image, new URL(image).host, "card-image-link")) : null,
    footer(c),
  ].filter(Boolean));
  return c.pretext_html ? [sanitised(c.pretext_html, "card-pretext", decorate), box] : [box];
}

/** A message's attachments as cards; `decorate` is what message bodies get (decorateBody). */
export function renderCards(cards, decorate) {
  return h("div", { class: "msg-cards" }, cards.map((c) => card(c, decorate)));
}
