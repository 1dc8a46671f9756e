/*
 * Errors as people read them: every ApiError carries a plain sentence (never a raw code
 * like network_error, never two full stops), whatever the server or the network said.
 * The code stays on the error for the client's own decisions.
 */

/** A sentence: a capital first letter and one full stop at the end (unless it ends in ? ! …). */
export function sentence(text) {
  let s = String(text || "").trim().replace(/[\s.;:,]+$/u, "");
  if (!s) return "";
  s = s[0].toUpperCase() + s.slice(1);
  return /[?!…]$/u.test(s) ? s : `${s}.`;
}

const retryIn = (after) => (/^\d+$/.test(after || "") ? `Try again in ${after} ${after === "1" ? "second" : "seconds"}.` : "Try again in a moment.");

/** What to tell the person, by code first, then by status; the server's own words otherwise. */
function humanMessage(status, code, message, retryAfter) {
  switch (code) {
    case "network_error": return "Could not reach the server. Check your connection; Parley keeps trying.";
    case "upload_network_error": return "The upload did not reach the server. Check your connection and try again.";
    case "aborted": return "Cancelled.";
    case "rate_limited": return `Too many requests at once. ${retryIn(retryAfter)}`;
    case "too_many_connections": return `Too many connections from this address. ${retryIn(retryAfter)}`;
    case "request_timeout": return "The server stopped waiting for the request. Try again.";
    case "payload_too_large": case "file_too_large": return "That is larger than this server accepts.";
    case "storage_unavailable": return "Files cannot be stored right now. Try again in a moment.";
    case "internal_error": return "Something went wrong on the server. Try again; if it keeps happening, tell an administrator.";
    case "shutting_down": case "service_unavailable": case "database_unavailable": return `The server is restarting or busy. ${retryIn(retryAfter)}`;
    case "csrf_origin_mismatch": return "This page is out of date. Reload it and try again.";
    default: break;
  }
  if (message && !/^http_\d+$/.test(code || "")) return sentence(message);
  if (status >= 500) return "Something went wrong on the server. Try again in a moment.";
  return "That did not work. Try again.";
}

export class ApiError extends Error {
  constructor(status, code, message, field, retryAfter) {
    super(humanMessage(status, code, message, retryAfter));
    this.status = status;
    this.code = code;
    this.field = field || null;
    this.retryAfter = retryAfter || null;
  }
}
