// WCAG 2 contrast of every piece of visible text on a page, measured in the page:
// the computed text colour (its alpha times every ancestor's opacity) over the
// effective background (the background colours of the element and its ancestors,
// composited from the first opaque one down). Placeholders count too.

/** Runs in the page: the texts below the AA threshold, as readable lines. */
function lowContrastInPage() {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  const cache = new Map();
  // Any CSS colour → [r, g, b, a] (0..255, a in 0..1). Computed colours are rgb()/rgba(),
  // or color(srgb …) from color-mix(); anything else goes through a canvas.
  const rgba = (css) => {
    if (cache.has(css)) return cache.get(css);
    let out;
    const m = /^(rgba?|color)\((?:srgb\s+)?([^)]*)\)$/.exec(css);
    if (m) {
      const n = m[2].split(/[\s,/]+/).filter(Boolean).map(Number);
      const scale = m[1] === "color" ? 255 : 1;
      out = [n[0] * scale, n[1] * scale, n[2] * scale, n.length > 3 ? n[3] : 1];
    } else {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = "#000";
      ctx.fillStyle = css;
      ctx.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
      out = [r, g, b, a / 255];
    }
    cache.set(css, out);
    return out;
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
  const luminance = ([r, g, b]) => {
    const lin = (v) => { const c = v / 255; return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const ratio = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };

  function background(el) {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg = layers.length && layers[layers.length - 1][3] >= 1 ? layers.pop() : [255, 255, 255, 1];
    while (layers.length) bg = over(layers.pop(), bg);
    return bg;
  }
  function opacity(el) {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  }
  function shown(el) {
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && opacity(el) > 0.01;
  }
  const describe = (el) => {
    const id = el.id ? `#${el.id}` : "";
    const cls = typeof el.className === "string" && el.className ? `.${el.className.trim().split(/\s+/).join(".")}` : "";
    return `${el.tagName.toLowerCase()}${id}${cls}`;
  };

  const failures = [];
  function check(el, colour, text, what) {
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    const need = large ? 3 : 4.5;
    const bg = background(el);
    const fg = rgba(colour);
    const got = ratio(over([fg[0], fg[1], fg[2], fg[3] * opacity(el)], bg), bg);
    if (got < need) {
      failures.push(`${what} ${describe(el)} "${text.trim().slice(0, 40)}": ${got.toFixed(2)}:1 < ${need}:1 (${colour} on rgb(${bg.slice(0, 3).map(Math.round).join(" ")}))`);
    }
  }
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("svg, [inert]") || el.matches(":disabled")) continue; // inactive controls are exempt
    const own = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join("");
    const field = el.matches("input:not([type=checkbox], [type=radio], [type=file], [type=hidden]), textarea");
    if (!own.trim() && !field) continue;
    if (!shown(el)) continue;
    if (own.trim()) check(el, getComputedStyle(el).color, own, "text");
    if (field && el.value) check(el, getComputedStyle(el).color, el.value, "value");
    if (field && !el.value && el.placeholder) check(el, getComputedStyle(el, "::placeholder").color, el.placeholder, "placeholder");
  }
  return failures;
}

/** The texts of `page` below WCAG AA (4.5:1, or 3:1 for large text). */
export function lowContrast(page) {
  return page.evaluate(lowContrastInPage);
}
