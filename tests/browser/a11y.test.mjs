// Accessibility of the chat screen in real headless Chromium (its own server and
// browser): the contrast of every visible text in the light and the dark theme, and
// how many Tab stops the page has however long the conversation.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Api, launch, messages, Server, signedIn } from "./harness.mjs";
import { lowContrast } from "./contrast.mjs";

const server = new Server();
let browser, ada, bob, ws, general, root, A;

before(async () => {
  await server.start();
  ({ ada, ws } = await Api.setup(server));
  bob = await ada.invite(ws, "bob", "Bob Builder");
  general = await ada.channelId(ws, "general");
  await ada.call("PATCH", `/api/v1/channels/${general}`, { topic: "Company-wide news and questions" });
  // Every kind of sidebar entry: unread with a mention badge, muted, private, a DM.
  const random = (await ada.call("POST", `/api/v1/workspaces/${ws}/channels`, { name: "random", private: false })).json.id;
  const quiet = (await ada.call("POST", `/api/v1/workspaces/${ws}/channels`, { name: "quiet", private: false })).json.id;
  await ada.call("POST", `/api/v1/workspaces/${ws}/channels`, { name: "secret", private: true });
  await ada.call("PATCH", `/api/v1/channels/${quiet}/notifications`, { muted: true });
  for (const id of [random, quiet]) await bob.call("POST", `/api/v1/channels/${id}/join`);
  await bob.say(random, "@ada a mention in another channel");
  await bob.say(quiet, "something in a muted channel");
  const adaId = (await ada.call("GET", "/api/v1/me")).json.id;
  const dm = (await bob.call("POST", `/api/v1/workspaces/${ws}/conversations`, { user_ids: [adaId] })).json.id;
  await bob.say(dm, "a direct message");
  // The conversation: mentions, links, code, a quote, edits, pins, reactions, a thread.
  root = await ada.say(general, "Release **2.4** ships Thursday: see https://example.com/notes");
  await bob.call("POST", `/api/v1/channels/${general}/messages`, { text: "I'll write the notes.", thread_root_id: root.id });
  await ada.call("POST", `/api/v1/messages/${root.id}/reactions`, { emoji: "👍" });
  await ada.call("POST", `/api/v1/messages/${root.id}/pin`);
  const edited = await bob.say(general, "the `load test` is runing");
  await bob.call("PATCH", `/api/v1/messages/${edited.id}`, { text: "the `load test` is running" });
  await bob.say(general, "> quoted from the plan\n\nand a reply to it");
  await bob.say(general, "@ada can you look at this?");
  for (let i = 1; i <= 17; i++) await (i % 3 ? bob : ada).say(general, `message number ${i}`);
  browser = await launch();
  A = await signedIn(browser, server, "ada@acme.test");
});

after(async () => {
  await browser?.close();
  await server.cleanup();
});

test("contrast: every visible text on the chat screen meets WCAG AA in the light and the dark theme", async () => {
  await A.page.goto(`${server.base}/#/w/${ws}/c/${general}`);
  await messages(A.page, "message number 17").waitFor();
  const rootMsg = messages(A.page, "Release 2.4 ships Thursday: see https://example.com/notes");
  await rootMsg.getByTestId("thread-link").click();
  await A.page.getByTestId("thread-panel").getByText("I'll write the notes.").waitFor();
  // A focused message shows its hover-only parts: the time of a grouped message, the actions.
  const grouped = A.page.locator('[data-testid="message-list"] .msg.grouped').last();
  await grouped.focus();
  await A.page.mouse.move(0, 0);
  const failures = [];
  const measure = async (where) => {
    for (const scheme of ["light", "dark"]) {
      await A.page.emulateMedia({ colorScheme: scheme });
      await A.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      for (const f of await lowContrast(A.page)) failures.push(`${scheme}, ${where}: ${f}`);
    }
  };
  await measure("thread open");
  await A.page.getByTestId("members-button").click();
  await A.page.getByTestId("details-panel").getByTestId("member").first().waitFor();
  await measure("details open");
  await A.page.emulateMedia({ colorScheme: null });
  await A.page.getByTestId("panel-close").click();
  assert.deepEqual(failures, [], `texts below WCAG AA:\n${failures.join("\n")}`);
});
