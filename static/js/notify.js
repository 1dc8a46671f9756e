/*
 * Desktop notifications for new messages while Parley is in the background.
 */

import { LS_NOTIFY } from "./constants.js";
import { pageFocused } from "./dom.js";
import { store } from "./util.js";
import { authorName, channelLabel, isConv, mentionsMe, S } from "./state.js";
import { jumpToMessage } from "./search.js";

function notificationsOn() {
  return "Notification" in window && Notification.permission === "granted" && store.get(LS_NOTIFY) === "1";
}

/**
 * A desktop notification for a new message while Parley is in the background.
 * Level "default" means every message in direct/group conversations and mentions
 * in channels; muted conversations and do-not-disturb never notify.
 */
export function maybeNotify(ch, m) {
  if (!notificationsOn() || pageFocused() || S.myStatus === "dnd") return;
  const mem = ch.membership;
  if (!mem || mem.muted) return;
  let level = mem.notify_level || "default";
  if (level === "default") level = isConv(ch) ? "all" : "mentions";
  if (level === "none") return;
  if (level === "mentions" && !mentionsMe(m)) return;
  const who = m.author || m.app ? authorName(m) : "Someone";
  const title = isConv(ch) ? (ch.kind === "group" ? `${who} in ${channelLabel(ch)}` : who) : `${who} in #${ch.name}`;
  let body = String(m.text || "").replace(/\s+/g, " ").trim();
  if (!body && m.files && m.files.length) body = m.files.length === 1 ? `Shared ${m.files[0].name}` : `Shared ${m.files.length} files`;
  if (body.length > 180) body = `${body.slice(0, 177)}…`;
  try {
    const n = new Notification(title, { body, tag: m.id });
    n.onclick = () => {
      window.focus();
      n.close();
      jumpToMessage(m);
    };
  } catch { /* notifications unsupported here */ }
}
