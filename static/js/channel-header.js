/*
 * The main column's header (title, topic, member count) and its empty state.
 */

import { $, fill, h } from "./dom.js";
import { icon } from "./icons.js";
import { canEditTopic, channelLabel, convOthers, isConv, mainComposer, S, V } from "./state.js";
import { channelIcon, renderSidebar, updateTitle } from "./sidebar.js";
import { appTag, deactivatedTag } from "./presence.js";

function memberCount(ch) {
  if (isConv(ch)) return (ch.conversation_members || []).length;
  const ids = S.chMembers.get(ch.id);
  if (ids) return ids.length;
  return ch.member_count != null ? ch.member_count : null;
}

export function showEmpty(text) {
  V.channelId = null;
  V.token++;
  V.list.reset(null);
  $("#empty-state").replaceChildren(h("p", null, text));
  $("#empty-state").hidden = false;
  $("#history-top").replaceChildren();
  $("#channel-title").replaceChildren();
  $("#channel-topic").hidden = true;
  $("#composer-slot").hidden = true;
  $("#composer-note").hidden = true;
  $(".channel-tools").hidden = true;
  renderSidebar();
}

export function renderHeader() {
  const ch = S.channels.get(V.channelId);
  const title = $("#channel-title");
  const topic = $("#channel-topic");
  if (!ch) { title.replaceChildren(); topic.hidden = true; updateTitle(); return; }
  fill(title, channelIcon(ch), h("span", { class: "channel-title-text" }, channelLabel(ch, false)),
    ch.archived ? h("span", { class: "tag" }, "archived") : null,
    ch.kind === "direct" ? appTag(convOthers(ch)[0]) : null,
    ch.kind === "direct" ? deactivatedTag(convOthers(ch)[0]) : null,
    ch.membership && ch.membership.muted ? icon("bell-off", "muted-icon") : null);
  if (isConv(ch)) {
    const other = ch.kind === "direct" ? S.users.get(convOthers(ch)[0]) : null;
    const st = other && other.status;
    topic.hidden = !st;
    topic.disabled = true;
    topic.textContent = st ? `${st.emoji || ""} ${st.text || ""}`.trim() : "";
  } else {
    const editable = canEditTopic(ch);
    topic.hidden = !ch.topic && !editable;
    topic.disabled = !editable;
    topic.textContent = ch.topic || "Add a topic";
    topic.classList.toggle("placeholder", !ch.topic);
    topic.title = editable ? "Edit topic" : "";
  }
  const n = memberCount(ch);
  $("#member-count").textContent = n != null ? String(n) : "";
  $("#members-btn").setAttribute("aria-label", n != null ? `Details and members (${n})` : "Details and members");
  mainComposer.setPlaceholder(`Message ${channelLabel(ch)}`);
  updateTitle();
}
