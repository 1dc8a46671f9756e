/*
 * Parley web client — applies the stored theme (system default, light or dark)
 * before first paint.
 *
 * A classic script, not a module: templates/app.html loads it synchronously in
 * <head>, before the document is rendered; everything else starts from main.js.
 * The settings dialog (settings.js) stores and applies changes later; it uses the
 * same key (LS_THEME in constants.js) and the same rule.
 */
"use strict";
(() => {
  let t = null;
  try { t = localStorage.getItem("parley.theme"); } catch { /* private mode */ }
  const root = document.documentElement;
  if (t === "light" || t === "dark") root.dataset.theme = t;
  else delete root.dataset.theme;
})();
