/*
 * DOM helpers: element creation (h, fill), queries, a few browser checks.
 *
 * Safety rule for the whole client: user text only ever reaches the DOM as text nodes
 * (h(), textContent). The only HTML inserted with innerHTML is what the server
 * sanitised: MessageView.html (src/messages/view.rs) and SearchResult.snippet
 * (src/search/service.rs). Never build HTML strings.
 */

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
export const cls = (...names) => names.filter(Boolean).join(" ");

/**
 * Creates an element. Props: class, text, on* listeners, a few properties
 * (value, checked, disabled, hidden, selected); everything else becomes an
 * attribute. Children: nodes, strings (as text nodes), arrays; null/false skipped.
 */
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  if (props) {
    for (const k of Object.keys(props)) {
      const v = props[k];
      if (v == null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v);
      else if (k === "value" || k === "checked" || k === "disabled" || k === "hidden" || k === "selected") el[k] = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  appendKids(el, kids);
  return el;
}

/** Replaces an element's children (skipping null/false, unlike replaceChildren). */
export function fill(el, ...kids) {
  el.replaceChildren();
  appendKids(el, kids);
  return el;
}

function appendKids(el, kids) {
  for (const k of kids) {
    if (k == null || k === false) continue;
    if (Array.isArray(k)) appendKids(el, k);
    else el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

export const narrow = () => window.matchMedia("(max-width: 760px)").matches;
export const hasFiles = (e) => !!(e.dataTransfer && Array.from(e.dataTransfer.types || []).includes("Files"));
export const pageFocused = () => document.visibilityState === "visible" && document.hasFocus();

export function autogrow(ta) {
  ta.style.height = "auto";
  ta.style.height = `${ta.scrollHeight + 2}px`;
}
