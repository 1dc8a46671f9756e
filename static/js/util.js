/*
 * Small pure helpers: localStorage, ids, date and size formatting, avatar initials and colours, debounce/batching, fuzzy matching, emoji shortcodes.
 */

import { SHORTCODES } from "./constants.js";

export const store = {
  get(k) { try { return localStorage.getItem(k); } catch { return null; } },
  set(k, v) { try { if (v == null) localStorage.removeItem(k); else localStorage.setItem(k, v); } catch { /* private mode */ } },
};

export function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const fmtTimeF = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const fmtFullF = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const fmtDayF = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
const fmtDayYearF = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long", day: "numeric" });
const fmtShortF = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

export const toDate = (s) => (s ? new Date(s) : new Date(0));
export const fmtTime = (d) => fmtTimeF.format(d);
export const fmtFull = (d) => fmtFullF.format(d);
export const dayKey = (d) => `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;

function isSameDay(a, b) { return dayKey(a) === dayKey(b); }

export function dayLabel(d) {
  const now = new Date();
  if (isSameDay(d, now)) return "Today";
  const y = new Date(now); y.setDate(now.getDate() - 1);
  if (isSameDay(d, y)) return "Yesterday";
  return d.getFullYear() === now.getFullYear() ? fmtDayF.format(d) : fmtDayYearF.format(d);
}

/** "14:05" today, "Yesterday 14:05", "Mar 3 14:05" otherwise. */
export function fmtWhen(d) {
  const now = new Date();
  if (isSameDay(d, now)) return fmtTime(d);
  const y = new Date(now); y.setDate(now.getDate() - 1);
  if (isSameDay(d, y)) return `Yesterday ${fmtTime(d)}`;
  if (d.getFullYear() === now.getFullYear()) return `${fmtShortF.format(d)} ${fmtTime(d)}`;
  return fmtFull(d);
}

export function fmtSize(n) {
  if (!Number.isFinite(n)) return "";
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function initials(name) {
  const words = String(name || "?").trim().split(/\s+/).filter(Boolean);
  const first = (w) => (Array.from(w)[0] || "").toUpperCase();
  if (!words.length) return "?";
  return words.length === 1 ? first(words[0]) : first(words[0]) + first(words[words.length - 1]);
}

export function colorIndex(key) {
  let hsh = 0;
  for (const c of String(key || "")) hsh = (hsh * 31 + c.codePointAt(0)) >>> 0;
  return hsh % 8;
}

export function debounce(fn, ms) {
  let t = 0;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

/** Runs fn at most once per `ms`, on the trailing edge; for re-render batching. */
export function batched(fn, ms = 30) {
  let t = 0;
  return () => { if (!t) t = setTimeout(() => { t = 0; fn(); }, ms); };
}

/** Fuzzy subsequence score of q in s; -1 when q is not a subsequence. */
export function fuzzy(q, s) {
  q = q.toLowerCase(); s = String(s || "").toLowerCase();
  if (!q) return 0;
  const at = s.indexOf(q);
  if (at >= 0) return 1000 - at * 5 + (at === 0 ? 300 : 0) - s.length;
  let score = 0, from = 0, prev = -2;
  for (const c of q) {
    const f = s.indexOf(c, from);
    if (f < 0) return -1;
    score += f === prev + 1 ? 12 : 1;
    if (f === 0 || /[\s\-_.,#@]/.test(s[f - 1])) score += 6;
    prev = f; from = f + 1;
  }
  return score - s.length * 0.2;
}

export const emojiChar = (e) => SHORTCODES[e] || (/^[a-z0-9_+-]+$/.test(e) ? `:${e}:` : e);
