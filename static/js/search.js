/*
 * Search (in the side panel) and jumping to a message.
 */

import { $, h, narrow } from "./dom.js";
import { fmtFull, fmtWhen, toDate } from "./util.js";
import { toast, toastError } from "./toast.js";
import { api } from "./api.js";
import { authorName, channelLabel, S } from "./state.js";
import { closePanel, openPanel } from "./panel.js";
import { openThread } from "./thread.js";
import { go } from "./nav.js";
import { ensureChannel } from "./channels.js";

export const SR = { q: "", page: 1, sort: "relevance", token: 0, hasMore: false, count: 0 };

export async function runSearch(q, page = 1) {
  q = q.trim();
  if (!q) return;
  SR.q = q;
  SR.page = page;
  const token = ++SR.token;
  openPanel("search");
  const box = $("#search-results");
  const more = $("#search-more");
  $("#panel-sub").textContent = `“${q}”`;
  if (page === 1) {
    SR.count = 0;
    box.replaceChildren(h("div", { class: "history-loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Searching…"));
  }
  more.disabled = true;
  const params = new URLSearchParams({ q, sort: SR.sort, page: String(page), per_page: "20" });
  if (S.wsId) params.set("workspace_id", S.wsId);
  try {
    const r = await api("GET", `/search?${params}`, undefined, { quiet: true });
    if (token !== SR.token) return;
    if (page === 1) box.replaceChildren();
    for (const res of r.results) box.append(searchResultNode(res));
    SR.count += r.results.length;
    SR.hasMore = r.has_more;
    if (!SR.count) box.replaceChildren(h("p", { class: "empty" }, "No messages match your search."));
    $("#search-summary").textContent = SR.count ? `${SR.count}${r.has_more ? "+" : ""} result${SR.count === 1 ? "" : "s"}` : "";
    more.hidden = !r.has_more;
  } catch (e) {
    if (token !== SR.token) return;
    if (page === 1) box.replaceChildren(h("p", { class: "search-error", role: "alert" }, e.message || "Search failed."));
    else toastError(e);
    more.hidden = true;
    $("#search-summary").textContent = "";
  } finally {
    more.disabled = false;
  }
}

function searchResultNode(r) {
  const m = r.message;
  const ch = S.channels.get(r.channel.id);
  const where = ch ? channelLabel(ch) : r.channel.name ? `#${r.channel.name}` : "Direct message";
  const when = toDate(m.created_at);
  const snippet = h("div", { class: "result-snippet" });
  snippet.innerHTML = r.snippet; // SearchResult.snippet — escaped by the server, matches in <mark>
  return h("button", { type: "button", class: "result", "data-testid": "search-result", "data-message-id": m.id, onclick: () => jumpToMessage(m) },
    h("span", { class: "result-meta" },
      h("span", { class: "result-channel" }, where),
      m.thread_root_id ? h("span", { class: "result-thread" }, "in a thread") : null,
      h("span", { class: "result-sep", "aria-hidden": "true" }, "·"),
      h("span", { class: "result-author" }, authorName(m)),
      h("time", { class: "result-time", datetime: when.toISOString(), title: fmtFull(when) }, fmtWhen(when))),
    snippet);
}

/** Opens a message's conversation around it and highlights it (replies: in their thread). */
export async function jumpToMessage(m) {
  const ch = S.channels.get(m.channel_id) || await ensureChannel(m.channel_id, true);
  if (!ch) { toast("That conversation is no longer available.", "error"); return; }
  const target = m.thread_root_id || m.id;
  if (narrow() && !m.thread_root_id) closePanel();
  go(ch.workspace_id, ch.id, { aroundId: target, highlightId: target });
  if (m.thread_root_id) openThread(m.thread_root_id, { highlightId: m.id, focus: false });
}
