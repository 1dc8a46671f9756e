/*
 * The pinned-messages panel.
 */

import { $, h } from "./dom.js";
import { debounce, fmtFull, fmtWhen, toDate } from "./util.js";
import { api } from "./api.js";
import { authorId, authorName, canPost, Panel, S, V } from "./state.js";
import { avatar } from "./presence.js";
import { togglePin } from "./message-actions.js";
import { decorateBody } from "./message-render.js";
import { jumpToMessage } from "./search.js";

export async function loadPins() {
  const chId = V.channelId;
  const box = $("#pins-list");
  if (!chId) { box.replaceChildren(); return; }
  box.replaceChildren(h("div", { class: "history-loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading…"));
  let list;
  try { list = await api("GET", `/channels/${chId}/pins`); } catch { box.replaceChildren(); return; }
  if (chId !== V.channelId || Panel.mode !== "pins") return;
  if (!list.length) {
    box.replaceChildren(h("p", { class: "empty" }, "Nothing is pinned here yet. Pin a message from its actions to keep it handy."));
    return;
  }
  box.replaceChildren(...list.map((m) => {
    const aid = authorId(m);
    const body = h("div", { class: "msg-body" });
    body.innerHTML = m.html; // MessageView.html — sanitised by the server
    decorateBody(body);
    const when = toDate(m.created_at);
    return h("article", { class: "pin-item", "data-testid": "pinned-message", "data-message-id": m.id },
      h("div", { class: "result-meta" },
        avatar(aid, authorName(m), "xs"),
        h("span", { class: "result-author" }, authorName(m)),
        h("time", { class: "result-time", datetime: when.toISOString(), title: fmtFull(when) }, fmtWhen(when))),
      body,
      m.files && m.files.length ? h("p", { class: "muted" }, `${m.files.length} attachment${m.files.length === 1 ? "" : "s"}`) : null,
      h("div", { class: "pin-actions" },
        h("button", { type: "button", class: "link-btn", onclick: () => jumpToMessage(m) }, "Jump to message"),
        canPost(S.channels.get(chId)) ? h("button", { type: "button", class: "link-btn", onclick: () => togglePin(m.id, true).then(loadPins) }, "Unpin") : null));
  }));
}
export const loadPinsSoon = debounce(() => { if (Panel.mode === "pins") loadPins(); }, 300);
