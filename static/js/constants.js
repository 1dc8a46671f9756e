/*
 * Constants of the web client: API base, page sizes, timings and limits, storage keys, emoji.
 */

export const API = "/api/v1";
export const PAGE_SIZE = 50;               // history page (server default 50, max 200)
export const THREAD_PAGE = 200;            // thread replies per request (server max 200)
export const GROUP_MS = 5 * 60 * 1000;     // consecutive messages by one author group within this
export const TYPING_SEND_MS = 3000;        // send at most one typing frame per conversation per 3 s
export const TYPING_SHOW_MS = 6000;        // show "X is typing…" this long after the last frame
export const ACTIVITY_MS = 60 * 1000;      // tell the server we are active at most once a minute
export const PING_MS = 25 * 1000;          // our own ping; no pong by the next one → reconnect
export const BOOT_WS_WAIT_MS = 5000;       // how long boot waits for the socket before loading anyway
export const MAX_FILES = 10;               // files per message (docs/files.md)
export const MAX_CONVERSATION = 8;         // other people in a group conversation (GROUP_MAX 9 incl. me)
export const PRESENCE_MAX = 500;           // presence_sub limit
export const LS_THEME = "parley.theme";
export const LS_NOTIFY = "parley.notifications";
export const LS_LAST = "parley.last";       // + .{user}: workspace; + .{user}.{workspace}: conversation
export const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
export const BROADCAST_MENTIONS = new Set(["channel", "here", "all", "everyone"]);

/** The emoji picker's choices (each passes the server's validate_emoji). */
export const EMOJI = [
  ["👍", "thumbs up"], ["❤️", "heart"], ["😄", "smile"], ["🎉", "party"],
  ["🙏", "thank you"], ["👀", "eyes"], ["🔥", "fire"], ["✅", "done"],
  ["😂", "laughing"], ["😮", "surprised"], ["😢", "sad"], ["🤔", "thinking"],
  ["👏", "clap"], ["🚀", "rocket"], ["💯", "hundred"], ["🙌", "hooray"],
  ["😅", "phew"], ["🤝", "handshake"], ["⭐", "star"], ["💡", "idea"],
  ["☕", "coffee"], ["👎", "thumbs down"], ["❌", "no"], ["😡", "angry"],
];

/** Shortcodes other clients may react with (the server stores them lower-cased). */
export const SHORTCODES = {
  thumbsup: "👍", "+1": "👍", thumbsdown: "👎", "-1": "👎", heart: "❤️", smile: "😄",
  smiley: "😃", grin: "😁", tada: "🎉", pray: "🙏", eyes: "👀", fire: "🔥",
  white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", joy: "😂", open_mouth: "😮",
  cry: "😢", rage: "😡", thinking: "🤔", thinking_face: "🤔", clap: "👏", rocket: "🚀",
  100: "💯", raised_hands: "🙌", sweat_smile: "😅", handshake: "🤝", star: "⭐",
  bulb: "💡", coffee: "☕", wave: "👋", ok_hand: "👌", laughing: "😆", wink: "😉",
};
