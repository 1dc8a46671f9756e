/*
 * Quick switcher (Ctrl+K / Cmd+K).
 */

import { $, cls, h } from "./dom.js";
import { fuzzy } from "./util.js";
import { badgeCount, channelLabel, channelsOf, convOthers, isConv, isUnread, S } from "./state.js";
import { appTag, avatar } from "./presence.js";
import { channelIcon } from "./sidebar.js";
import { go } from "./nav.js";
import { startConversation } from "./new-conversation.js";
import { pickable } from "./users.js";

export const Switcher = {
  items: [],
  index: 0,

  open() {
    const d = $("#switcher-dialog");
    if (d.open) return;
    $("#switcher-input").value = "";
    this.update();
    d.showModal();
    $("#switcher-input").focus();
  },

  candidates() {
    const multi = S.workspaces.length > 1;
    const out = [];
    for (const ch of S.channels.values()) {
      if (!ch.membership) continue;
      const ws = S.workspaces.find((w) => w.id === ch.workspace_id);
      const label = channelLabel(ch);
      out.push({ kind: "channel", ch, label, match: label.replace(/^#/, ""),
        sub: multi && ws ? ws.name : isConv(ch) ? (ch.kind === "group" ? "Group conversation" : "Direct message") : ch.topic || "",
        recency: String(ch.last_message_at || ch.created_at || "") });
    }
    const dmWith = new Set();
    for (const ch of channelsOf(S.wsId)) if (ch.kind === "direct") { const o = convOthers(ch)[0]; if (o) dmWith.add(o); }
    const wm = S.wsMembers.get(S.wsId);
    for (const mv of (wm && wm.list) || []) {
      const u = mv.user;
      if (!pickable(mv) || mv.deactivated_at || u.deactivated || u.id === S.me.id || dmWith.has(u.id)) continue;
      out.push({ kind: "user", user: u, label: u.display_name, match: `${u.display_name} ${u.username}`, sub: `@${u.username}`, recency: "" });
    }
    return out;
  },

  update() {
    const q = $("#switcher-input").value.trim().replace(/^[#@]/, "");
    let list = this.candidates();
    if (!q) {
      list = list.filter((i) => i.kind === "channel")
        .sort((a, b) => (isUnread(b.ch) - isUnread(a.ch)) || b.recency.localeCompare(a.recency))
        .slice(0, 30);
    } else {
      list = list.map((i) => ({ i, s: fuzzy(q, i.match) }))
        .filter((x) => x.s >= 0)
        .sort((a, b) => b.s - a.s || (a.i.kind === "channel" ? -1 : 1))
        .slice(0, 30)
        .map((x) => x.i);
    }
    this.items = list;
    this.index = 0;
    this.render();
  },

  render() {
    const ul = $("#switcher-list");
    ul.replaceChildren(...this.items.map((it, i) => h("li", {
      id: `sw-${i}`, role: "option", class: cls("sw-item", i === this.index && "selected"), "aria-selected": String(i === this.index),
      "data-testid": "switcher-item", "data-channel-id": it.kind === "channel" ? it.ch.id : null,
      onmousedown: (e) => e.preventDefault(), onclick: () => this.choose(i),
    },
    it.kind === "channel" ? channelIcon(it.ch) : h("span", { class: "avatar-wrap" }, avatar(it.user.id, it.user.display_name, "xs")),
    h("span", { class: cls("sw-label", it.kind === "channel" && isUnread(it.ch) && "unread") }, it.label),
    it.kind === "user" ? appTag(it.user.id) : null,
    it.sub ? h("span", { class: "sw-sub" }, it.sub) : null,
    it.kind === "channel" && badgeCount(it.ch) ? h("span", { class: "badge" }, String(badgeCount(it.ch))) : null)));
    if (!this.items.length) ul.append(h("li", { class: "sw-empty", role: "presentation" }, "No matches"));
    const input = $("#switcher-input");
    if (this.items.length) input.setAttribute("aria-activedescendant", `sw-${this.index}`);
    else input.removeAttribute("aria-activedescendant");
    const sel = ul.children[this.index];
    if (sel) sel.scrollIntoView({ block: "nearest" });
  },

  move(d) {
    if (!this.items.length) return;
    this.index = (this.index + d + this.items.length) % this.items.length;
    this.render();
  },

  choose(i) {
    const it = this.items[i];
    if (!it) return;
    $("#switcher-dialog").close();
    if (it.kind === "channel") go(it.ch.workspace_id, it.ch.id);
    else startConversation([it.user.id]);
  },

  bind() {
    const input = $("#switcher-input");
    input.addEventListener("input", () => this.update());
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown") { e.preventDefault(); this.move(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); this.move(-1); }
      else if (e.key === "Enter") { e.preventDefault(); this.choose(this.index); }
    });
  },
};
