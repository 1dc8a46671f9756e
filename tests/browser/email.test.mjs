// E-mail fallback as a colleague lives it, in headless Chromium against a server with a
// short delay (6 s) and presence that notices a closed page within a second: nothing is
// mailed while Bob has Parley open; he walks away and a mention reaches him by mail
// (the embedded transport's outbox); the mail's link brings him back to the message;
// what he read meanwhile elsewhere is left out of the next one.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Api, launch, messages, open, Server, signedIn } from "./harness.mjs";

const server = new Server({
  PARLEY_EMAIL__DELAY_MINUTES: "0.1",
  PARLEY_EMAIL__WINDOW_MINUTES: "0",
  PARLEY_REALTIME__OFFLINE_GRACE_S: "1",
});
let browser, ada, bob, ws, general;

before(async () => {
  await server.start();
  ({ ada, ws } = await Api.setup(server));
  bob = await ada.invite(ws, "bob", "Bob Builder");
  general = await ada.channelId(ws, "general");
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  await server.cleanup();
});

const LINK = /https?:\/\/\S+\/#\/w\/[0-9a-f-]{36}\/c\/[0-9a-f-]{36}\/m\/([0-9a-f-]{36})/;

/** The digest to Bob that mentions `text` (the text part of the mail). */
async function digestWith(text) {
  const [raw] = await server.mailed("bob@acme.test", new RegExp(`[\\s\\S]*${text}[\\s\\S]*`));
  return raw;
}

test("Bob is not mailed while Parley is open; away, one mention reaches him by mail and its link brings him back", async () => {
  const B = await signedIn(browser, server, "bob@acme.test");
  await open(B.page, general);
  await ada.say(general, "@bob first, while you are here");
  await messages(B.page, "@bob first, while you are here").waitFor();
  // Bob walks away: his only page closes.
  await B.context.close();
  await new Promise((r) => setTimeout(r, 1500));
  const second = await ada.say(general, "@bob second, while you are away");
  const raw = await digestWith("second, while you are away");
  assert.ok(!raw.includes("first, while you are here"), "what he saw live is not mailed");
  assert.match(raw, /Subject: 1 new message from Ada Lovelace in Acme/);
  const link = LINK.exec(raw);
  assert.equal(link[1], second.id, "the link names the message");

  const back = await signedIn(browser, server, "bob@acme.test");
  await back.page.goto(link[0]);
  await back.page.locator(`[data-message-id="${second.id}"].highlight`).waitFor();
  assert.deepEqual(back.page.errors, []);
  await back.context.close();
});

test("what Bob reads on another device before the delay is left out of his mail", async () => {
  await new Promise((r) => setTimeout(r, 1500));
  const third = await ada.say(general, "@bob third, read on the phone");
  // The phone: the API marks it read at once.
  await bob.call("POST", `/api/v1/channels/${general}/read`, { seq: third.seq });
  await ada.say(general, "@bob fourth, not read anywhere");
  const raw = await digestWith("fourth, not read anywhere");
  assert.ok(!raw.includes("third, read on the phone"), "read elsewhere, so not mailed");
  const toBob = server.outbox().filter((m) => m.includes("<bob@acme.test>"));
  assert.equal(toBob.length, 2, "one mail per absence");
});
