/*
 * Composer: drafts, attachments, autocomplete, typing, optimistic send; file drop zones.
 */

import { IMAGE_TYPES, MAX_FILES } from "./constants.js";
import { $, autogrow, cls, h, hasFiles } from "./dom.js";
import { fmtSize, uuid } from "./util.js";
import { hydrateIcons, icon } from "./icons.js";
import { toast, toastError } from "./toast.js";
import { api, uploadFile } from "./api.js";
import { EmojiPicker } from "./emoji-picker.js";
import { canPost, S, T, V } from "./state.js";
import { ensureChannelMembers } from "./users.js";
import { sendTyping } from "./typing.js";
import { refreshPendingViews } from "./messages.js";
import { lastOwnMessage, startEdit } from "./message-actions.js";
import { sendPending } from "./outbox.js";
import { jumpToLatest } from "./channel-view.js";
import { browseLoading, channelCandidates, loadBrowse, mentionCandidates } from "./autocomplete.js";
import { commandCandidates, commandsKnown, loadCommands, parseCommand, runCommand } from "./slash.js";

const Drafts = new Map(); // "channel|root" → { text, attachments }

export class Composer {
  constructor(slot, kind) {
    const frag = $("#composer-template").content.cloneNode(true);
    hydrateIcons(frag);
    this.form = frag.querySelector(".composer");
    slot.append(frag);
    this.kind = kind;
    this.ta = $(".composer-input", this.form);
    this.fileInput = $(".composer-file", this.form);
    this.tray = $(".attachments", this.form);
    this.acEl = $(".autocomplete", this.form);
    this.sendBtn = $(".send-btn", this.form);
    const thread = kind === "thread";
    this.ta.id = thread ? "thread-composer-input" : "composer-input";
    this.ta.dataset.testid = thread ? "thread-composer" : "composer";
    this.fileInput.dataset.testid = thread ? "thread-file-input" : "file-input";
    this.acEl.id = thread ? "thread-autocomplete" : "autocomplete";
    this.ta.setAttribute("aria-controls", this.acEl.id);
    this.form.dataset.testid = thread ? "thread-composer-form" : "composer-form";
    this.channelId = null;
    this.rootId = null;
    this.attachments = [];
    this.ac = null;

    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.send(); });
    this.ta.addEventListener("keydown", (e) => this.onKey(e));
    this.ta.addEventListener("input", () => this.onInput());
    this.ta.addEventListener("click", () => this.updateAC());
    this.ta.addEventListener("focus", () => { if (this.channelId) ensureChannelMembers(this.channelId); });
    this.ta.addEventListener("blur", () => setTimeout(() => { if (document.activeElement !== this.ta) this.closeAC(); }, 120));
    this.ta.addEventListener("paste", (e) => this.onPaste(e));
    $(".attach-btn", this.form).addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => {
      this.addFiles(Array.from(this.fileInput.files || []));
      this.fileInput.value = "";
    });
    $(".emoji-btn", this.form).addEventListener("click", (e) => EmojiPicker.open(e.currentTarget, (emoji) => this.insertText(emoji)));
  }

  get key() { return this.channelId ? `${this.channelId}|${this.rootId || ""}` : null; }

  focus() {
    if (this.form.isConnected && !this.form.closest("[hidden]")) this.ta.focus();
  }

  setPlaceholder(text) { this.ta.placeholder = text; this.ta.setAttribute("aria-label", text); }

  /** Switches the composer to another conversation, keeping each one's draft. */
  setTarget(channelId, rootId) {
    if (this.key) {
      if (this.ta.value || this.attachments.length) Drafts.set(this.key, { text: this.ta.value, attachments: this.attachments });
      else Drafts.delete(this.key);
    }
    // Text typed before the composer had any target (while the app loads) goes with it.
    const carried = this.key ? "" : this.ta.value;
    this.channelId = channelId;
    this.rootId = rootId || null;
    const d = (this.key && Drafts.get(this.key)) || { text: "", attachments: [] };
    this.ta.value = d.text || carried;
    this.attachments = d.attachments;
    this.closeAC();
    this.renderTray();
    autogrow(this.ta);
  }

  onKey(e) {
    if (this.ac) {
      if (e.key === "ArrowDown") { e.preventDefault(); this.moveAC(1); return; }
      if (e.key === "ArrowUp") { e.preventDefault(); this.moveAC(-1); return; }
      if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey) { e.preventDefault(); this.pickAC(this.ac.index); return; }
      if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); this.closeAC(); return; }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      this.send();
      return;
    }
    if (e.key === "ArrowUp" && !this.ta.value && !this.attachments.length && !e.shiftKey && !e.altKey) {
      const list = this.kind === "thread" ? T.list : V.list;
      const last = lastOwnMessage(list);
      if (last) { e.preventDefault(); startEdit(last, list); }
    }
  }

  onInput() {
    autogrow(this.ta);
    this.updateAC();
    if (this.ta.value.trim() && this.channelId) sendTyping(this.channelId, this.rootId);
  }

  onPaste(e) {
    const files = Array.from((e.clipboardData && e.clipboardData.files) || []);
    if (!files.length) return;
    e.preventDefault();
    this.addFiles(files);
  }

  insertText(text) {
    const { selectionStart: a, selectionEnd: b } = this.ta;
    this.ta.focus();
    this.ta.setRangeText(text, a, b, "end");
    this.onInput();
  }

  // — attachments —

  addFiles(files) {
    if (!files.length) return;
    const ch = S.channels.get(this.channelId);
    if (!canPost(ch)) { toast("You cannot share files here.", "error"); return; }
    for (const file of files) {
      if (this.attachments.length >= MAX_FILES) { toast(`Up to ${MAX_FILES} files per message.`, "error"); break; }
      const name = file.name || `pasted-${Date.now()}.${(file.type.split("/")[1] || "bin").replace(/[^a-z0-9]/gi, "")}`;
      const a = {
        key: uuid(), file, name, size: file.size, type: file.type, status: "uploading", progress: 0,
        fileView: null, error: "", channelId: this.channelId, progressEl: null,
        previewUrl: IMAGE_TYPES.has(file.type) ? URL.createObjectURL(file) : null,
      };
      a.upload = uploadFile(a.channelId, file, name, (p) => {
        a.progress = p;
        if (a.progressEl) { a.progressEl.value = Math.round(p * 100); a.progressEl.textContent = `${Math.round(p * 100)}%`; }
      });
      a.upload.promise.then(
        (fv) => { if (a.status === "removed") { api("DELETE", `/files/${fv.id}`, undefined, { quiet: true }).catch(() => {}); return; } a.status = "done"; a.fileView = fv; },
        (err) => { if (a.status === "removed") return; a.status = "error"; a.error = err.message; toastError(err); },
      ).finally(() => { if (this.attachments.includes(a)) this.renderTray(); });
      this.attachments.push(a);
    }
    this.renderTray();
    this.ta.focus();
  }

  removeAttachment(a) {
    const was = a.status;
    a.status = "removed";
    if (was === "uploading") a.upload.xhr.abort();
    if (was === "done" && a.fileView) api("DELETE", `/files/${a.fileView.id}`, undefined, { quiet: true }).catch(() => {});
    if (a.previewUrl) URL.revokeObjectURL(a.previewUrl);
    this.attachments = this.attachments.filter((x) => x !== a);
    this.renderTray();
    this.ta.focus();
  }

  renderTray() {
    this.tray.hidden = !this.attachments.length;
    this.tray.replaceChildren(...this.attachments.map((a) => {
      const pct = Math.round(a.progress * 100);
      a.progressEl = a.status === "uploading"
        ? h("progress", { class: "att-progress", max: "100", value: String(pct), "aria-label": `Uploading ${a.name}`, "data-testid": "upload-progress" }, `${pct}%`)
        : null;
      return h("div", { class: cls("att", `att-${a.status}`), "data-testid": "attachment-draft", "data-status": a.status },
        a.previewUrl ? h("img", { class: "att-thumb", src: a.previewUrl, alt: "", "data-testid": "attachment-preview" }) : h("span", { class: "att-icon" }, icon("file")),
        h("div", { class: "att-info" },
          h("span", { class: "att-name", title: a.name }, a.name),
          h("span", { class: "att-meta" }, a.status === "error" ? a.error : a.status === "done" ? `${fmtSize(a.size)} · ready` : fmtSize(a.size)),
          a.progressEl),
        h("button", { type: "button", class: "icon-btn small att-remove", "aria-label": `Remove ${a.name}`, title: "Remove", onclick: () => this.removeAttachment(a) }, icon("x")));
    }));
    const uploading = this.attachments.some((a) => a.status === "uploading");
    this.sendBtn.classList.toggle("waiting", uploading);
    this.sendBtn.setAttribute("aria-label", uploading ? "Send (waiting for uploads)" : "Send");
  }

  // — sending —

  send() {
    const ch = S.channels.get(this.channelId);
    if (!canPost(ch)) return;
    if (this.attachments.some((a) => a.status === "uploading")) { toast("Wait for the uploads to finish, then send."); return; }
    const ready = this.attachments.filter((a) => a.status === "done");
    let text = this.ta.value;
    if (!text.trim() && !ready.length) return;
    if (!ready.length && parseCommand(text)) {
      this.ta.value = "";
      if (this.key) Drafts.delete(this.key);
      this.closeAC();
      autogrow(this.ta);
      runCommand(ch, this.rootId, text);
      return;
    }
    if (text.startsWith("//")) text = text.slice(1);
    if (text.length > 16000) { toast("Messages can be at most 16,000 characters.", "error"); return; }
    const p = {
      client_msg_id: uuid(), channel_id: this.channelId, thread_root_id: this.rootId,
      text: text.trim() ? text : "", files: ready.map((a) => a.fileView),
      created_at: new Date().toISOString(), author: { id: S.me.id, username: S.me.username, display_name: S.me.display_name },
      status: "sending", error: "",
    };
    S.pending.set(p.client_msg_id, p);
    for (const a of this.attachments) if (a.previewUrl) URL.revokeObjectURL(a.previewUrl);
    this.attachments = [];
    this.ta.value = "";
    if (this.key) Drafts.delete(this.key);
    this.closeAC();
    this.renderTray();
    autogrow(this.ta);
    const list = this.kind === "thread" ? T.list : V.list;
    list.stick = true;
    if (this.kind === "channel") {
      V.unreadAfter = null;
      V.list.unreadAfter = null;
      if (V.hasMoreAfter) jumpToLatest();
    }
    refreshPendingViews();
    sendPending(p);
  }

  // — /command, @mention and #channel autocomplete —

  updateAC() {
    const ta = this.ta;
    const pos = ta.selectionStart;
    if (pos !== ta.selectionEnd || !this.channelId) { this.closeAC(); return; }
    const before = ta.value.slice(0, pos);
    const slash = /^\/([A-Za-z0-9_-]{0,32})$/.exec(before);
    if (slash) {
      if (!commandsKnown(S.wsId)) loadCommands(S.wsId).then(() => { if (document.activeElement === this.ta) this.updateAC(); });
      const items = commandCandidates(slash[1].toLowerCase());
      if (!items.length) { this.closeAC(); return; }
      const index = this.ac && this.ac.start === 0 && this.ac.trigger === "/" ? Math.min(this.ac.index, items.length - 1) : 0;
      this.ac = { trigger: "/", start: 0, end: pos, items, index };
      this.renderAC();
      return;
    }
    const m = /(?:^|[\s(])([@#])([\p{L}\p{N}._-]{0,32})$/u.exec(before);
    if (!m) { this.closeAC(); return; }
    const trigger = m[1];
    const q = m[2].toLowerCase();
    const start = pos - m[2].length - 1;
    if (trigger === "#" && !S.browse.has(S.wsId) && !browseLoading.has(S.wsId)) {
      loadBrowse(S.wsId).then(() => { if (document.activeElement === this.ta) this.updateAC(); });
    }
    const items = trigger === "@" ? mentionCandidates(q, this.channelId) : channelCandidates(q);
    if (!items.length) { this.closeAC(); return; }
    const index = this.ac && this.ac.start === start ? Math.min(this.ac.index, items.length - 1) : 0;
    this.ac = { trigger, start, end: pos, items, index };
    this.renderAC();
  }

  renderAC() {
    const { items, index } = this.ac;
    this.acEl.replaceChildren(...items.map((it, i) => h("li", {
      id: `${this.acEl.id}-${i}`, role: "option", class: cls("ac-item", i === index && "selected"),
      "aria-selected": i === index ? "true" : "false", "data-testid": "autocomplete-item",
      onmousedown: (e) => { e.preventDefault(); this.pickAC(i); },
    }, it.render())));
    this.acEl.hidden = false;
    this.ta.setAttribute("aria-expanded", "true");
    this.ta.setAttribute("aria-activedescendant", `${this.acEl.id}-${index}`);
    const sel = this.acEl.children[index];
    if (sel) sel.scrollIntoView({ block: "nearest" });
  }

  moveAC(d) {
    const n = this.ac.items.length;
    this.ac.index = (this.ac.index + d + n) % n;
    this.renderAC();
  }

  pickAC(i) {
    const it = this.ac && this.ac.items[i];
    if (!it) return;
    const { trigger, start, end } = this.ac;
    this.ta.setRangeText(`${trigger}${it.insert} `, start, end, "end");
    this.closeAC();
    autogrow(this.ta);
    this.ta.focus();
  }

  closeAC() {
    if (!this.ac && this.acEl.hidden) return;
    this.ac = null;
    this.acEl.hidden = true;
    this.acEl.replaceChildren();
    this.ta.setAttribute("aria-expanded", "false");
    this.ta.removeAttribute("aria-activedescendant");
  }
}

/** Drag-and-drop of files onto an area, handed to a composer. */
export function bindDropZone(zone, overlay, getComposer) {
  let depth = 0;
  zone.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth++;
    overlay.hidden = false;
  });
  zone.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  });
  zone.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) overlay.hidden = true;
  });
  zone.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.stopPropagation();
    depth = 0;
    overlay.hidden = true;
    const c = getComposer();
    if (c) c.addFiles(Array.from(e.dataTransfer.files || []));
  });
}
