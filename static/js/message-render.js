/*
 * Message rendering: a message (body, files, reactions, actions), a pending send, a day separator.
 */

import { API, BROADCAST_MENTIONS, IMAGE_TYPES } from "./constants.js";
import { cls, h } from "./dom.js";
import { dayLabel, emojiChar, fmtFull, fmtSize, fmtTime, fmtWhen, toDate } from "./util.js";
import { icon } from "./icons.js";
import { EmojiPicker } from "./emoji-picker.js";
import { authorId, authorName, canManage, canPost, hashFor, mentionsMe, S, userName } from "./state.js";
import { appBadge, avatar } from "./presence.js";
import { messageAvatar, renderCards } from "./cards.js";
import {
  addReaction, deleteMessage, editBox, startEdit, togglePin, toggleReaction,
} from "./message-actions.js";
import { discardPending, postPending } from "./outbox.js";
import { openThread } from "./thread.js";
import { markUnread } from "./unread.js";
import { dismissEphemeral } from "./slash.js";

/** A channel of this workspace I know by this name: one I am in, or a public one. */
function channelNamed(name) {
  for (const c of S.channels.values()) if (c.workspace_id === S.wsId && c.name === name) return c;
  return (S.browse.get(S.wsId) || []).find((c) => c.name === name) || null;
}

/**
 * Post-processes sanitised message HTML: links open in a new tab, my mentions stand
 * out, and a #channel reference to a channel I know becomes a link to it.
 */
export function decorateBody(body) {
  for (const a of body.querySelectorAll("a[href]")) a.target = "_blank";
  const me = S.me.username.toLowerCase();
  for (const s of body.querySelectorAll("span.mention")) {
    const who = s.dataset.mention || "";
    if (who === me || BROADCAST_MENTIONS.has(who)) s.classList.add("mention-me");
  }
  for (const s of body.querySelectorAll("span.channel-ref")) {
    const ch = channelNamed(s.dataset.channel || "");
    if (ch) s.replaceWith(h("a", { class: "channel-ref", href: hashFor(ch.workspace_id, ch.id), "data-testid": "channel-ref" }, s.textContent));
  }
}

const fileUrl = (f) => `${API}/files/${encodeURIComponent(f.id)}/content`;
const thumbUrl = (f) => `${API}/files/${encodeURIComponent(f.id)}/thumbnail`;

/** Fits (w, h) into a box, keeping the aspect ratio. */
function fitBox(w, hgt, maxW = 360, maxH = 280) {
  if (!w || !hgt) return null;
  const s = Math.min(1, maxW / w, maxH / hgt);
  return { w: Math.max(1, Math.round(w * s)), h: Math.max(1, Math.round(hgt * s)) };
}

function renderFiles(files) {
  const box = h("div", { class: "msg-files" });
  for (const f of files) {
    const url = fileUrl(f);
    const image = IMAGE_TYPES.has(f.content_type) && f.thumbnail_state !== "failed" && f.thumbnail_state !== "none";
    if (image) {
      // Until the thumbnail job finishes, show the original (served inline for these types).
      const ready = f.thumbnail_state === "ready";
      const dims = ready && f.thumbnail ? fitBox(f.thumbnail.width, f.thumbnail.height) : fitBox(f.width, f.height);
      box.append(h("a", { class: "file-image", href: url, target: "_blank", rel: "noopener", title: `${f.name} (${fmtSize(f.size)})` },
        h("img", {
          src: ready ? thumbUrl(f) : url, alt: f.name, loading: "lazy", decoding: "async",
          width: dims ? dims.w : null, height: dims ? dims.h : null,
          "data-testid": "attachment-image", "data-file-id": f.id,
        })));
    } else {
      box.append(h("a", { class: "file-card", href: `${url}?download=true`, download: f.name, "data-testid": "attachment-file", "data-file-id": f.id },
        h("span", { class: "file-card-icon" }, icon("file")),
        h("span", { class: "file-card-text" }, h("span", { class: "file-name" }, f.name), h("span", { class: "file-size" }, fmtSize(f.size))),
        icon("download", "file-card-dl")));
    }
  }
  return box;
}

function renderReactions(m, postable) {
  const row = h("div", { class: "reactions" });
  for (const r of m.reactions) {
    const mine = r.user_ids.includes(S.me.id);
    const names = r.user_ids.map((id) => (id === S.me.id ? "You" : userName(id))).join(", ");
    const ch = emojiChar(r.emoji);
    row.append(h("button", {
      type: "button", class: cls("reaction", mine && "mine"), "aria-pressed": mine ? "true" : "false",
      title: `${names} reacted with ${ch}`, "aria-label": `${ch} ${r.count}: ${names}`, disabled: !postable,
      "data-testid": "reaction", "data-emoji": r.emoji,
      onclick: () => toggleReaction(m.id, r.emoji),
    }, h("span", { class: "reaction-emoji" }, ch), h("span", { class: "reaction-count" }, String(r.count))));
  }
  if (postable) {
    row.append(h("button", {
      type: "button", class: "reaction add-reaction", "aria-label": "Add reaction", title: "Add reaction",
      onclick: (e) => EmojiPicker.open(e.currentTarget, (emoji) => addReaction(m.id, emoji)),
    }, icon("smile-plus")));
  }
  return row;
}

function threadLink(m) {
  const n = m.reply_count;
  return h("button", { type: "button", class: "thread-link", "data-testid": "thread-link", onclick: () => openThread(m.id) },
    icon("reply"),
    h("span", { class: "thread-count" }, `${n} ${n === 1 ? "reply" : "replies"}`),
    m.last_reply_at ? h("span", { class: "thread-last" }, `Last reply ${fmtWhen(toDate(m.last_reply_at))}`) : null);
}

function actionBtn(name, label, onclick, extra) {
  return h("button", { type: "button", class: cls("icon-btn", "small", extra), "aria-label": label, title: label, onclick }, icon(name));
}

function messageActions(m, list, mine, ch) {
  const postable = canPost(ch);
  const bar = h("div", { class: "msg-actions", role: "toolbar", "aria-label": "Message actions" });
  if (postable) bar.append(actionBtn("smile-plus", "Add reaction", (e) => EmojiPicker.open(e.currentTarget, (emoji) => addReaction(m.id, emoji))));
  if (postable && list.mode === "channel") bar.append(actionBtn("reply", "Reply in thread", () => openThread(m.id)));
  if (postable) bar.append(actionBtn("pin", m.pinned ? "Unpin message" : "Pin message", () => togglePin(m.id)));
  if (ch.membership && list.mode === "channel") bar.append(actionBtn("mail", "Mark as unread", () => markUnread(list.get(m.id) || m)));
  if (mine && postable) bar.append(actionBtn("edit", "Edit message", () => { const cur = list.get(m.id); if (cur) startEdit(cur, list); }));
  if (mine || canManage(ch)) bar.append(actionBtn("trash", "Delete message", () => deleteMessage(m.id), "danger"));
  return bar.childElementCount ? bar : null;
}

function messageHead(aid, name, date, pinned, app) {
  return h("div", { class: "msg-head" },
    h("span", { class: "msg-author", title: aid && S.users.get(aid) ? `@${S.users.get(aid).username}` : null }, name),
    app ? appBadge() : null,
    h("time", { class: "msg-time", datetime: date.toISOString(), title: fmtFull(date) }, fmtTime(date)),
    pinned ? h("span", { class: "msg-flag" }, icon("pin"), "Pinned") : null);
}

/** An answer only I see (a slash command's, a bot's): not stored, gone on reload. */
export function renderEphemeral(e) {
  const created = toDate(e.created_at);
  const name = e.app ? e.app.name : e.author_id ? userName(e.author_id) : S.siteName;
  const node = h("div", { class: "msg ephemeral", "data-testid": "ephemeral", tabindex: "-1" });
  const body = h("div", { class: "msg-body", "data-testid": "message-body" });
  body.innerHTML = e.html; // rendered and sanitised by the server (ammonia); a local note is escaped
  decorateBody(body);
  const main = h("div", { class: "msg-main" }, messageHead(e.author_id, name, created, false, true), body);
  if (e.attachments && e.attachments.length) main.append(renderCards(e.attachments, decorateBody));
  main.append(h("div", { class: "msg-status", "data-testid": "ephemeral-note" }, icon("eye"), " Only visible to you · ",
    h("button", { type: "button", class: "link-btn", onclick: () => dismissEphemeral(e.key) }, "Dismiss")));
  node.append(h("div", { class: "msg-gutter" }, avatar(e.author_id, name)), main);
  return node;
}

export function renderMessage(m, { grouped, list, editing }) {
  const aid = authorId(m);
  const mine = !!S.me && aid === S.me.id;
  const ch = S.channels.get(m.channel_id);
  const created = toDate(m.created_at);
  const name = authorName(m);
  const app = !!(m.app || (m.author && m.author.is_bot));
  const node = h("div", {
    class: cls("msg", grouped && "grouped", m.deleted && "deleted", !mine && !m.deleted && mentionsMe(m) && "mentioned",
      list.highlightId === m.id && "highlight", editing && "editing", list.mode === "thread" && m.id === list.rootId && "thread-root"),
    "data-testid": "message", "data-message-id": m.id, "data-seq": m.seq, "data-author-id": aid || "", tabindex: "-1",
  });
  const gutter = h("div", { class: "msg-gutter" }, grouped
    ? h("time", { class: "msg-hover-time", datetime: created.toISOString(), title: fmtFull(created) }, fmtTime(created))
    : messageAvatar(m, aid, name));
  const main = h("div", { class: "msg-main" });
  if (!grouped) main.append(messageHead(aid, name, created, m.pinned, app));
  else if (m.pinned) main.append(h("div", { class: "msg-flag" }, icon("pin"), "Pinned"));
  if (m.deleted) {
    main.append(h("div", { class: "msg-body msg-deleted" }, "This message was deleted."));
  } else if (editing) {
    main.append(editBox());
  } else {
    const body = h("div", { class: "msg-body", "data-testid": "message-body" });
    body.innerHTML = m.html; // MessageView.html — rendered and sanitised by the server (ammonia)
    decorateBody(body);
    if (m.edited_at) {
      const tag = h("span", { class: "msg-edited", title: `Edited ${fmtFull(toDate(m.edited_at))}`, "data-testid": "edited" }, "(edited)");
      const last = body.lastElementChild;
      if (last && last.tagName === "P") last.append(" ", tag); else body.append(tag);
    }
    main.append(body);
  }
  if (!m.deleted && m.attachments && m.attachments.length) main.append(renderCards(m.attachments, decorateBody));
  if (!m.deleted && m.files && m.files.length) main.append(renderFiles(m.files));
  if (!m.deleted && m.reactions && m.reactions.length) main.append(renderReactions(m, canPost(ch)));
  if (list.mode === "channel" && m.reply_count > 0) main.append(threadLink(m));
  node.append(gutter, main);
  if (!m.deleted && !editing && ch) {
    const bar = messageActions(m, list, mine, ch);
    if (bar) node.append(bar);
  }
  return node;
}

export function renderPending(p, grouped) {
  const created = toDate(p.created_at);
  const failed = p.status === "failed";
  const node = h("div", {
    class: cls("msg", "pending", grouped && "grouped", failed && "failed"),
    "data-testid": "message", "data-pending": "true", "data-status": p.status, "data-client-msg-id": p.client_msg_id,
    "aria-busy": p.status === "sending" ? "true" : null, tabindex: "-1",
  });
  const gutter = h("div", { class: "msg-gutter" }, grouped ? null : avatar(S.me.id, S.me.display_name));
  const main = h("div", { class: "msg-main" });
  if (!grouped) main.append(messageHead(S.me.id, S.me.display_name, created, false));
  if (p.text) main.append(h("div", { class: "msg-body msg-plain" }, p.text));
  if (p.files.length) main.append(h("div", { class: "msg-files" }, ...p.files.map((f) =>
    h("span", { class: "file-card pending-file" }, h("span", { class: "file-card-icon" }, icon("file")),
      h("span", { class: "file-card-text" }, h("span", { class: "file-name" }, f.name), h("span", { class: "file-size" }, fmtSize(f.size)))))));
  const discard = h("button", { type: "button", class: "link-btn", onclick: () => discardPending(p) }, "Discard");
  if (failed) {
    main.append(h("div", { class: "msg-status error", role: "alert", "data-testid": "pending-status" }, `Not sent. ${p.error || ""} `.replace(/\s+/g, " "),
      h("button", { type: "button", class: "link-btn", onclick: () => postPending(p) }, "Retry"), " · ", discard));
  } else if (p.status === "queued") {
    main.append(h("div", { class: "msg-status", "data-testid": "pending-status" },
      "Not sent yet. It goes out by itself when the connection is back. ", discard));
  } else {
    main.append(h("div", { class: "msg-status", "data-testid": "pending-status" }, "Sending…"));
  }
  node.append(gutter, main);
  return node;
}

export function daySeparator(d) {
  return h("div", { class: "day-sep", role: "separator" }, h("span", null, dayLabel(d)));
}
