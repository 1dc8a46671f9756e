/*
 * The JSON API under /api/v1 and file uploads. Errors become ApiError (a sentence for
 * people, errors.js; shown as a toast unless quiet); a 401 other than a wrong password
 * sends the browser to /login. Whether requests reach the server feeds the offline bar.
 */

import { API } from "./constants.js";
import { ApiError } from "./errors.js";
import { toastError } from "./toast.js";
import { noteServerAnswered, noteServerUnreachable } from "./offline.js";

let leaving = false;
export function goLogin() {
  if (leaving) return;
  leaving = true;
  location.assign("/login");
}

/**
 * One JSON request under /api/v1. Errors become ApiError (and a toast unless
 * opts.quiet); a 401 sends the browser to /login. Cookie auth: same-origin fetch
 * sends the session cookie and the browser adds the Origin header the server's
 * CSRF check wants on unsafe methods.
 */
export async function api(method, path, body, opts = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API + path, init);
  } catch {
    noteServerUnreachable();
    const e = new ApiError(0, "network_error");
    if (!opts.quiet) toastError(e);
    throw e;
  }
  noteServerAnswered(res.status);
  let data = null;
  if (res.status !== 204) {
    const text = await res.text();
    if (text) { try { data = JSON.parse(text); } catch { data = null; } }
  }
  // A wrong password (bad_credentials, e.g. when changing it) is an answer, not a sign-out.
  if (res.status === 401 && !(data && data.error && data.error.code === "bad_credentials")) {
    goLogin();
    throw new ApiError(401, "unauthenticated", "signed out");
  }
  if (!res.ok) {
    const d = (data && data.error) || {};
    const e = new ApiError(res.status, d.code || `http_${res.status}`, d.message, d.field, res.headers.get("Retry-After"));
    if (!opts.quiet) toastError(e);
    throw e;
  }
  return data;
}

/** Multipart upload with progress (XMLHttpRequest: fetch has no upload progress). */
export function uploadFile(channelId, file, name, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("POST", `${API}/channels/${encodeURIComponent(channelId)}/files`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable && e.total) onProgress(e.loaded / e.total); });
    xhr.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      noteServerAnswered(xhr.status);
      if (xhr.status === 401) { goLogin(); reject(new ApiError(401, "unauthenticated", "signed out")); return; }
      if (xhr.status >= 200 && xhr.status < 300 && data) { resolve(data); return; }
      const d = (data && data.error) || {};
      reject(new ApiError(xhr.status, d.code || `http_${xhr.status}`, d.message, d.field, xhr.getResponseHeader("Retry-After")));
    });
    xhr.addEventListener("error", () => { noteServerUnreachable(); reject(new ApiError(0, "upload_network_error")); });
    xhr.addEventListener("abort", () => reject(new ApiError(0, "aborted")));
    const fd = new FormData();
    fd.append("file", file, name);
    xhr.send(fd);
  });
  return { xhr, promise };
}

window.addEventListener("unhandledrejection", (ev) => {
  if (ev.reason instanceof ApiError) ev.preventDefault(); // already shown as a toast
});
