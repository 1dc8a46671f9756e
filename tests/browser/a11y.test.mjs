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

/** The elements Tab visits going once round the page (a label for each). */
async function tabStops(page) {
  await page.evaluate(() => {
    document.activeElement?.blur();
    window.__probe = 0;
    for (const el of document.querySelectorAll("[data-tab-probe]")) delete el.dataset.tabProbe;
  });
  const stops = [];
  for (let i = 0; i < 400; i++) {
    await page.keyboard.press("Tab");
    const stop = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      el.dataset.tabProbe ||= String(++window.__probe);
      const msg = el.closest('[data-testid="message"]');
      return { id: el.dataset.tabProbe, message: msg && msg.dataset.messageId, what: el.getAttribute("aria-label") || el.dataset.testid || el.tagName };
    });
    if (!stop) continue; // out of the page (past its end): the next Tab comes back to the top
    if (stops.some((s) => s.id === stop.id)) break;
    stops.push(stop);
  }
  return stops;
}

test("Tab stops: a conversation is one stop however long; Tab from a message reaches its actions", async () => {
  await A.page.goto(`${server.base}/#/w/${ws}/c/${general}`);
  await messages(A.page, "message number 17").waitFor();
  const before = await tabStops(A.page);
  const count = await A.page.getByTestId("message-list").getByTestId("message").count();
  assert.ok(count >= 21, `${count} messages`);
  for (let i = 18; i <= 30; i++) await bob.say(general, `message number ${i}`);
  await messages(A.page, "message number 30").waitFor();
  const afterMore = await tabStops(A.page);
  const describe = (stops) => stops.map((s) => s.what).join(", ");
  // Tab walks into one message only: the list's stop, then that message's own controls.
  const inList = new Set(before.filter((s) => s.message).map((s) => s.message));
  assert.equal(inList.size, 1, `one message in the Tab order: ${describe(before)}`);
  assert.equal(afterMore.length, before.length, `13 more messages, no more stops: ${describe(afterMore)}`);
  assert.ok(before.length <= 30, `${before.length} stops: ${describe(before)}`);

  // Shift+Tab from the composer reaches the newest message; Tab from there walks its
  // controls (its action bar showing), then leaves the list.
  const newest = messages(A.page, "message number 30");
  await A.page.getByTestId("composer").focus();
  await A.page.keyboard.press("Shift+Tab");
  assert.ok(await newest.evaluate((m) => m === document.activeElement), "the newest message has focus");
  const labels = [];
  for (let i = 0; i < 10; i++) {
    await A.page.keyboard.press("Tab");
    const inside = await newest.evaluate((m) => m.contains(document.activeElement) && document.activeElement !== m);
    if (!inside) break;
    labels.push(await A.page.evaluate(() => document.activeElement.getAttribute("aria-label")));
  }
  assert.ok(labels.includes("Add reaction") && labels.includes("Reply in thread") && labels.includes("Pin message"), `reached: ${labels}`);
  assert.equal(await newest.locator(".msg-actions").evaluate((b) => getComputedStyle(b).opacity), "0", "hidden again once focus left");
  // Back from the composer it is the message again, not its last button; ↑ moves the stop.
  await A.page.getByTestId("composer").focus();
  await A.page.keyboard.press("Shift+Tab");
  assert.ok(await newest.evaluate((m) => m === document.activeElement), "back on the newest message");
  await A.page.keyboard.press("ArrowUp");
  const above = messages(A.page, "message number 29");
  assert.ok(await above.evaluate((m) => m === document.activeElement), "↑ went to the message above");
  await A.page.getByTestId("composer").focus();
  await A.page.keyboard.press("Shift+Tab");
  assert.ok(await above.evaluate((m) => m === document.activeElement), "the list's stop is the message last focused");
  await A.page.keyboard.press("Tab");
  await A.page.keyboard.press("Tab");
  await A.page.keyboard.press("Tab");
  assert.equal(await A.page.evaluate(() => document.activeElement.getAttribute("aria-label")), "Pin message");
  const pinBar = above.locator(".msg-actions");
  assert.equal(await pinBar.evaluate((b) => getComputedStyle(b).opacity), "1", "the action bar shows while one of its buttons has focus");
  await A.page.keyboard.press("Enter");
  await above.getByRole("button", { name: "Unpin message" }).waitFor({ state: "attached" });
});
