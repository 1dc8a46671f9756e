/*
 * Message list: ordered messages, keyed DOM reconciliation, scroll anchoring, and
 * keyboard focus: the list is one Tab stop (a roving tabindex on one message, the
 * newest unless another was focused last); ↑ ↓ Home End move between messages, and
 * Tab from a message walks its own links and buttons, which are out of the Tab
 * order otherwise.
 */

import { GROUP_MS } from "./constants.js";
import { h } from "./dom.js";
import { dayKey, dayLabel, toDate } from "./util.js";
import { authorId, Edit, S } from "./state.js";
import { daySeparator, renderEphemeral, renderMessage, renderPending } from "./message-render.js";

let REV = 0; // global revision: a node is rebuilt when its message's _rev changes

const bySeq = (a, b) => a.seq - b.seq;
const CONTROLS = "a[href], button, input, select, summary";
const isMessage = (node) => node.dataset.testid === "message";

/** Puts a message's own controls in the Tab order (while it has focus) or takes them out. */
function setControls(node, on) {
  for (const c of node.querySelectorAll(CONTROLS)) c.tabIndex = on ? 0 : -1;
}

function canGroup(prev, m) {
  if (!prev || prev.deleted || m.deleted) return false;
  const a = prev.author ? prev.author.id : null;
  const b = m.author ? m.author.id : null;
  if (!a || a !== b) return false;
  // One hook may post under several app names (Slack's "username"): each shows its own.
  if ((prev.app ? prev.app.name : null) !== (m.app ? m.app.name : null)) return false;
  const dt = toDate(m.created_at) - toDate(prev.created_at);
  return dt >= 0 && dt < GROUP_MS;
}

export class MessageList {
  /** mode: "channel" (top-level messages) or "thread" (root + replies). */
  constructor(el, scroller, mode) {
    this.el = el;
    this.scroller = scroller;
    this.mode = mode;
    this.items = [];
    this.byId = new Map();
    this.nodes = new Map(); // key → { node, sig }
    this.channelId = null;
    this.rootId = null;
    this.unreadAfter = null;
    this.highlightId = null;
    this.stick = true;
    this.dirty = false;
    this.timer = 0;
    this.onScroll = null;
    this.onRender = null;
    this.current = null; // data-key of the message that is the list's Tab stop
    scroller.addEventListener("scroll", () => {
      this.stick = this.atBottom();
      if (this.onScroll) this.onScroll();
    }, { passive: true });
    const ro = new ResizeObserver(() => { if (this.stick) this.toBottom(); });
    ro.observe(el);
    ro.observe(scroller);
    el.addEventListener("load", () => { if (this.stick) this.toBottom(); }, true); // images
    el.addEventListener("keydown", (e) => this.arrowKeys(e));
    el.addEventListener("focusin", (e) => this.focusIn(e));
    el.addEventListener("focusout", (e) => {
      const here = e.target.closest('[data-testid="message"]');
      if (here && !(e.relatedTarget && here.contains(e.relatedTarget))) setControls(here, false);
    });
  }

  /** ↑ / ↓ (Home / End) on a message or one of its controls: the message before / after (first / last). */
  arrowKeys(e) {
    if (!["ArrowUp", "ArrowDown", "Home", "End"].includes(e.key) || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (e.target.closest("textarea, input, [role=menu], [role=dialog]")) return;
    const here = e.target.closest('[data-testid="message"]');
    if (!here) return;
    const all = [...this.el.children].filter(isMessage);
    const i = all.indexOf(here);
    const next = e.key === "Home" ? all[0] : e.key === "End" ? all[all.length - 1] : all[i + (e.key === "ArrowUp" ? -1 : 1)];
    if (!next || next === here) return;
    e.preventDefault();
    next.focus({ preventScroll: true });
    next.scrollIntoView({ block: "nearest" });
  }

  /** The focused message becomes the list's Tab stop, and its controls join the Tab order. */
  focusIn(e) {
    const here = e.target.closest('[data-testid="message"]');
    if (!here || here.parentElement !== this.el) return;
    setControls(here, true);
    const all = [...this.el.children].filter(isMessage);
    // On the newest message the stop keeps following the newest as messages arrive.
    const key = here === all[all.length - 1] ? null : here.dataset.key;
    if (this.current === key) return;
    this.current = key;
    this.applyRoving();
  }

  /** One message has tabindex 0: the current one if it is still here, else the newest. */
  applyRoving() {
    const all = [...this.el.children].filter(isMessage);
    const cur = all.find((n) => n.dataset.key === this.current) || all[all.length - 1];
    for (const n of all) n.tabIndex = n === cur ? 0 : -1;
  }

  reset(channelId, rootId = null) {
    this.items = [];
    this.byId.clear();
    this.nodes.clear();
    this.el.replaceChildren();
    this.channelId = channelId;
    this.rootId = rootId;
    this.unreadAfter = null;
    this.highlightId = null;
    this.stick = true;
    this.current = null;
  }

  setItems(list) {
    this.items = [];
    this.byId.clear();
    for (const m of list) {
      if (this.byId.has(m.id)) continue;
      m._rev = ++REV;
      this.byId.set(m.id, m);
      this.items.push(m);
    }
    this.items.sort(bySeq);
    this.schedule();
  }

  get(id) { return this.byId.get(id); }

  /** Inserts or replaces a message (dedupe by id; ordered by seq). */
  upsert(m) {
    m._rev = ++REV;
    const old = this.byId.get(m.id);
    this.byId.set(m.id, m);
    const i = old ? this.items.indexOf(old) : -1;
    if (i >= 0) this.items[i] = m;
    else {
      let j = this.items.length;
      while (j > 0 && this.items[j - 1].seq > m.seq) j--;
      this.items.splice(j, 0, m);
    }
    this.schedule();
    return !old;
  }

  touch(id) {
    const m = this.byId.get(id);
    if (m) { m._rev = ++REV; this.schedule(); }
  }

  schedule() {
    this.dirty = true;
    if (!this.timer) this.timer = setTimeout(() => { this.timer = 0; if (this.dirty) this.render(); }, 16);
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 48;
  }

  toBottom() { this.scroller.scrollTop = this.scroller.scrollHeight; }

  isShown(m) {
    if (this.mode === "thread") return m.id === this.rootId || (m.thread_root_id === this.rootId && !m.deleted);
    return !m.thread_root_id && (!m.deleted || m.reply_count > 0);
  }

  pendingItems() {
    const out = [];
    // A page loaded while a message was being sent may already hold the stored message:
    // it stands in for the optimistic one (its POST answer or event removes it later).
    const stored = new Set(this.items.filter((m) => m.client_msg_id && authorId(m) === S.me.id).map((m) => m.client_msg_id));
    for (const p of S.pending.values()) {
      if (p.channel_id !== this.channelId || stored.has(p.client_msg_id)) continue;
      if (this.mode === "thread" ? p.thread_root_id === this.rootId : !p.thread_root_id) out.push(p);
    }
    return out;
  }

  /** The nodes the list should contain, reusing cached nodes whose signature is unchanged. */
  build() {
    const out = [];
    const used = new Set();
    const take = (key, sig, make) => {
      let rec = this.nodes.get(key);
      if (!rec || rec.sig !== sig) {
        rec = { node: make(), sig };
        rec.node.dataset.key = key;
        if (isMessage(rec.node)) setControls(rec.node, false);
        this.nodes.set(key, rec);
      }
      used.add(key);
      out.push(rec.node);
    };
    let prev = null;
    let prevDay = null;
    let unreadPlaced = false;
    for (const m of this.items) {
      if (!this.isShown(m)) continue;
      const d = toDate(m.created_at);
      const dk = dayKey(d);
      if (dk !== prevDay) {
        const label = dayLabel(d);
        take(`day:${dk}`, label, () => daySeparator(d));
        prevDay = dk;
        prev = null;
      }
      if (this.mode === "channel" && this.unreadAfter != null && !unreadPlaced && m.seq > this.unreadAfter && authorId(m) !== S.me.id) {
        take("unread", "", () => h("div", { class: "unread-divider", role: "separator", "aria-label": "New messages", "data-testid": "unread-divider" }, h("span", null, "New")));
        unreadPlaced = true;
        prev = null;
      }
      const grouped = canGroup(prev, m) && !(this.mode === "thread" && prev && prev.id === this.rootId);
      const editing = Edit.id === m.id && Edit.list === this;
      const sig = `${m._rev}|${grouped ? 1 : 0}|${editing ? 1 : 0}|${this.highlightId === m.id ? 1 : 0}|${S.viewRev}`;
      take(`m:${m.id}`, sig, () => renderMessage(m, { grouped, list: this, editing }));
      prev = m;
      if (this.mode === "thread" && m.id === this.rootId) {
        const n = this.items.filter((x) => x.thread_root_id === this.rootId && !x.deleted).length;
        take("replies", String(n), () => h("div", { class: "replies-sep", role: "separator" }, h("span", null, n ? `${n} ${n === 1 ? "reply" : "replies"}` : "No replies yet")));
        prev = null;
      }
    }
    for (const p of this.pendingItems()) {
      const grouped = canGroup(prev, p);
      take(`p:${p.client_msg_id}`, `${p.status}|${grouped ? 1 : 0}|${S.viewRev}`, () => renderPending(p, grouped));
      prev = p;
    }
    for (const e of S.ephemerals) {
      if (e.channel_id !== this.channelId) continue;
      if (this.mode === "thread" ? e.thread_root_id !== this.rootId : !!e.thread_root_id) continue;
      take(`e:${e.key}`, String(S.viewRev), () => renderEphemeral(e));
    }
    for (const key of [...this.nodes.keys()]) if (!used.has(key)) this.nodes.delete(key);
    return out;
  }

  render() {
    clearTimeout(this.timer);
    this.timer = 0;
    this.dirty = false;
    const stick = this.stick;
    const anchor = stick ? null : this.captureAnchor();
    const active = document.activeElement;
    const activeKey = active && this.el.contains(active) ? (active.closest("[data-key]") || {}).dataset : null;
    const desired = this.build();
    let cursor = this.el.firstChild;
    for (const node of desired) {
      if (node === cursor) cursor = cursor.nextSibling;
      else this.el.insertBefore(node, cursor);
    }
    while (cursor) {
      const next = cursor.nextSibling;
      cursor.remove();
      cursor = next;
    }
    // Keep focus where it was (a re-rendered message is a new node).
    if (active && this.el.contains(active) === false && activeKey && activeKey.key) {
      const rec = this.nodes.get(activeKey.key);
      if (rec) (Edit.ta && rec.node.contains(Edit.ta) ? Edit.ta : rec.node).focus({ preventScroll: true });
    } else if (active === Edit.ta && Edit.ta && document.activeElement !== Edit.ta && Edit.ta.isConnected) {
      Edit.ta.focus({ preventScroll: true });
    }
    this.applyRoving();
    if (stick) this.toBottom();
    else if (anchor) this.restoreAnchor(anchor);
    if (this.onRender) this.onRender();
  }

  /** The first visible node and its offset, to keep the view steady across a render. */
  captureAnchor() {
    const top = this.scroller.getBoundingClientRect().top;
    for (const node of this.el.children) {
      const r = node.getBoundingClientRect();
      if (r.bottom > top) return { key: node.dataset.key, offset: r.top - top };
    }
    return null;
  }

  restoreAnchor(a) {
    const rec = this.nodes.get(a.key);
    if (!rec || !rec.node.isConnected) return;
    const top = this.scroller.getBoundingClientRect().top;
    const delta = rec.node.getBoundingClientRect().top - top - a.offset;
    if (Math.abs(delta) > 0.5) this.scroller.scrollTop += delta;
  }

  nodeFor(id) {
    const rec = this.nodes.get(`m:${id}`);
    return rec && rec.node.isConnected ? rec.node : null;
  }

  /** Scrolls a message into the middle of the view and flashes it. */
  reveal(id) {
    this.render();
    const node = this.nodeFor(id);
    if (!node) return false;
    this.stick = false;
    node.scrollIntoView({ block: "center" });
    this.stick = this.atBottom();
    // The highlight fades (CSS animation); drop the flag so later renders do not replay it.
    setTimeout(() => { if (this.highlightId === id) { this.highlightId = null; this.touch(id); } }, 4000);
    return true;
  }
}
