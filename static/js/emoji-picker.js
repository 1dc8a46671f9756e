/*
 * Emoji picker: one popover, shared by reactions and composers.
 */

import { EMOJI } from "./constants.js";
import { $$, h } from "./dom.js";

export const EmojiPicker = {
  el: null,
  anchor: null,
  onPick: null,
  cols: 6,

  build() {
    const grid = h("div", { class: "emoji-grid", role: "group", "aria-label": "Emoji" });
    for (const [e, name] of EMOJI) {
      grid.append(h("button", { type: "button", class: "emoji-choice", title: name, "aria-label": name, "data-emoji": e, "data-testid": "emoji-choice", onclick: () => this.pick(e) }, e));
    }
    this.el = h("div", { class: "emoji-picker", role: "dialog", "aria-label": "Choose an emoji", "data-testid": "emoji-picker", hidden: true }, grid);
    this.el.addEventListener("keydown", (e) => this.onKey(e));
    this.el.addEventListener("focusout", (e) => { if (e.relatedTarget && !this.el.contains(e.relatedTarget)) this.close(false); });
    document.body.append(this.el);
    document.addEventListener("pointerdown", (e) => {
      if (this.isOpen() && !this.el.contains(e.target) && !(this.anchor && this.anchor.contains(e.target))) this.close(false);
    }, true);
    window.addEventListener("resize", () => this.close(false));
  },

  isOpen() { return !!this.el && !this.el.hidden; },

  open(anchor, onPick) {
    if (!this.el) this.build();
    if (this.isOpen() && this.anchor === anchor) { this.close(); return; }
    this.anchor = anchor;
    this.onPick = onPick;
    this.el.hidden = false;
    const r = anchor.getBoundingClientRect();
    const pr = this.el.getBoundingClientRect();
    let top = r.top - pr.height - 6;
    if (top < 8) top = Math.min(r.bottom + 6, window.innerHeight - pr.height - 8);
    const left = Math.max(8, Math.min(r.right - pr.width, window.innerWidth - pr.width - 8));
    this.el.style.top = `${Math.round(top)}px`;   // CSSOM, allowed by the CSP
    this.el.style.left = `${Math.round(left)}px`;
    this.el.querySelector("button").focus();
  },

  close(refocus = true) {
    if (!this.isOpen()) return;
    this.el.hidden = true;
    const a = this.anchor;
    this.anchor = null;
    this.onPick = null;
    if (refocus && a && a.isConnected) a.focus();
  },

  pick(emoji) {
    const fn = this.onPick;
    this.close();
    if (fn) fn(emoji);
  },

  onKey(e) {
    const btns = $$("button", this.el);
    const i = btns.indexOf(document.activeElement);
    let j;
    switch (e.key) {
      case "ArrowRight": j = i + 1; break;
      case "ArrowLeft": j = i - 1; break;
      case "ArrowDown": j = i + this.cols; break;
      case "ArrowUp": j = i - this.cols; break;
      case "Home": j = 0; break;
      case "End": j = btns.length - 1; break;
      case "Escape": e.preventDefault(); e.stopPropagation(); this.close(); return;
      default: return;
    }
    e.preventDefault();
    if (j >= 0 && j < btns.length) btns[j].focus();
  },
};
