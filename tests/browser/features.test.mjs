// More of the web client in real headless Chromium, beside chat.test.mjs (its own server
// and browser): composer autocomplete, emoji, paste and drop, pins, starting a direct
// message, the keyboard and a narrow window. Settings and notifications: settings.test.mjs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Api, closeDialog, launch, messages, open, png, send, Server, sidebarItem as item, signedIn, unreadBadge as badge } from "./harness.mjs";

const server = new Server();
let browser, ada, bonnie, ws, general, random, A, B;

before(async () => {
  await server.start();
  ({ ada, ws } = await Api.setup(server));
  const bob = await ada.invite(ws, "bob", "Bob Builder");
  bonnie = await ada.invite(ws, "bonnie", "Bonnie Parker");
  general = await ada.channelId(ws, "general");
  random = (await ada.call("POST", `/api/v1/workspaces/${ws}/channels`, { name: "random", private: false })).json.id;
  await bob.call("POST", `/api/v1/channels/${random}/join`);
  browser = await launch();
  A = await signedIn(browser, server, "ada@acme.test");
  B = await signedIn(browser, server, "bob@acme.test");
});

after(async () => {
  await browser?.close();
  await server.cleanup();
});

test("@mention and #channel autocomplete from the keyboard; B gets a mention badge", async () => {
  await open(B.page, random);
  await open(A.page, general);
  const box = A.page.getByTestId("composer");
  const items = A.page.getByTestId("autocomplete-item");
  const selected = A.page.locator('[data-testid="autocomplete-item"][aria-selected="true"]');
  await box.pressSequentially("@bo");
  await items.filter({ hasText: "Bonnie Parker" }).waitFor();
  assert.match(await items.first().innerText(), /Bob Builder/);
  assert.match(await selected.innerText(), /Bob Builder/);
  await box.press("ArrowDown");
  await selected.filter({ hasText: "Bonnie Parker" }).waitFor();
  await box.press("ArrowUp");
  await selected.filter({ hasText: "Bob Builder" }).waitFor();
  await box.press("Enter");
  await items.first().waitFor({ state: "detached" });
  assert.equal(await box.inputValue(), "@bob ", "Enter picked the suggestion and sent nothing");
  await box.pressSequentially("see #ran");
  await items.filter({ hasText: "random" }).waitFor();
  await box.press("Tab");
  assert.equal(await box.inputValue(), "@bob see #random ");
  await box.pressSequentially("please");
  await box.press("Enter");
  const text = "@bob see #random please";
  await messages(A.page, text).locator('.mention[data-mention="bob"]').waitFor();
  await badge(B.page, general).filter({ hasText: /^1$/ }).waitFor();
  await open(B.page, general);
  await messages(B.page, text).locator('.mention-me[data-mention="bob"]').waitFor();
  await badge(B.page, general).waitFor({ state: "detached" });
  // The #random reference is a link to the channel.
  await messages(B.page, text).getByTestId("channel-ref").click();
  await B.page.getByTestId("channel-title").filter({ hasText: "random" }).waitFor();
  await open(B.page, general);
});

test("a reply typed while a thread loads goes to that thread, not the one open before", async () => {
  await open(A.page, general);
  await ada.say(general, "first thread root");
  const second = await ada.say(general, "second thread root");
  const replyTo = async (text) => {
    const m = messages(A.page, text).first();
    await m.hover();
    await m.getByRole("button", { name: "Reply in thread" }).click();
  };
  await replyTo("first thread root");
  await A.page.getByTestId("thread-panel").getByText("first thread root").waitFor();
  // Hold the second thread's load, and reply while it is still loading.
  let letGo;
  const held = new Promise((resolve) => { letGo = resolve; });
  const load = `**/api/v1/messages/${second.id}/thread*`;
  await A.page.route(load, async (route) => { await held; await route.continue(); });
  await replyTo("second thread root");
  await send(A.page, "for the second thread", "thread-composer");
  letGo();
  await A.page.getByTestId("thread-panel").getByText("for the second thread").waitFor();
  await A.page.unroute(load);
  const thread = (await ada.call("GET", `/api/v1/messages/${second.id}/thread`)).json;
  assert.deepEqual(thread.replies.map((r) => r.text), ["for the second thread"]);
  const first = (await ada.call("GET", `/api/v1/channels/${general}/messages?limit=5`)).json.messages
    .find((m) => m.text === "first thread root");
  assert.equal(first.reply_count, 0, "nothing went to the thread open before");
  await A.page.keyboard.press("Escape");
});

test("opening another conversation closes the thread of the one before", async () => {
  const root = messages(A.page, "second thread root").first();
  await root.hover();
  await root.getByRole("button", { name: "Reply in thread" }).click();
  await A.page.getByTestId("thread-panel").getByText("for the second thread").waitFor();
  await open(A.page, random);
  await A.page.getByTestId("thread-panel").waitFor({ state: "hidden" });
  await open(A.page, general);
});

test("the composer's emoji button inserts an emoji; Escape closes the picker", async () => {
  const box = A.page.getByTestId("composer");
  const button = A.page.getByTestId("composer-form").getByRole("button", { name: "Insert emoji" });
  const picker = A.page.getByTestId("emoji-picker");
  await box.fill("ship it ");
  await button.click();
  await picker.waitFor({ state: "visible" });
  await picker.locator('[data-testid="emoji-choice"][data-emoji="🚀"]').click();
  await picker.waitFor({ state: "hidden" });
  assert.equal(await box.inputValue(), "ship it 🚀");
  await button.click();
  await picker.waitFor({ state: "visible" });
  await A.page.keyboard.press("ArrowRight");
  await A.page.keyboard.press("Escape");
  await picker.waitFor({ state: "hidden" });
  assert.ok(await button.evaluate((b) => b === document.activeElement), "focus is back on the emoji button");
  assert.equal(await box.inputValue(), "ship it 🚀", "Escape inserted nothing");
  await box.press("Enter");
  await messages(B.page, "ship it 🚀").waitFor();
});

test("files attach by paste and by drag and drop, and the other browser gets them", async () => {
  const box = A.page.getByTestId("composer");
  await box.focus();
  await box.evaluate((ta, b64) => {
    const data = new DataTransfer();
    data.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], "pasted.png", { type: "image/png" }));
    ta.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, png(40, 30).toString("base64"));
  await A.page.getByTestId("attachment-preview").waitFor();
  await A.page.locator('[data-testid="attachment-draft"][data-status="done"]').waitFor();
  await send(A.page, "a pasted picture");
  await messages(B.page, "a pasted picture").getByTestId("attachment-image").waitFor();

  const dataTransfer = await A.page.evaluateHandle(() => {
    const data = new DataTransfer();
    data.items.add(new File(["agenda: ship it\n"], "notes.txt", { type: "text/plain" }));
    return data;
  });
  await A.page.getByTestId("message-list").dispatchEvent("dragenter", { dataTransfer });
  const overlay = A.page.getByText("Drop files to share them here");
  await overlay.waitFor({ state: "visible" });
  await overlay.dispatchEvent("dragover", { dataTransfer });
  await overlay.dispatchEvent("drop", { dataTransfer });
  await overlay.waitFor({ state: "hidden" });
  await A.page.locator('[data-testid="attachment-draft"][data-status="done"]').filter({ hasText: "notes.txt" }).waitFor();
  await send(A.page, "the notes");
  await messages(B.page, "the notes").getByTestId("attachment-file").filter({ hasText: "notes.txt" }).waitFor();
  assert.equal(await A.page.getByTestId("attachment-draft").count(), 0, "the tray is empty after sending");
});

test("a message pinned from its actions is in the pinned list until it is unpinned", async () => {
  const text = "the deploy checklist lives in the wiki";
  await send(A.page, text);
  const mine = messages(A.page, text).and(A.page.locator(":not([data-pending])"));
  await mine.hover();
  await mine.getByRole("button", { name: "Pin message" }).click();
  await mine.getByRole("button", { name: "Unpin message" }).waitFor({ state: "attached" });
  await B.page.getByTestId("pins-button").click();
  const onB = B.page.getByTestId("pinned-message").filter({ hasText: text });
  await onB.waitFor();
  await A.page.getByTestId("pins-button").click();
  const onA = A.page.getByTestId("pinned-message").filter({ hasText: text });
  await onA.getByRole("button", { name: "Unpin" }).click();
  await onA.waitFor({ state: "detached" });
  await onB.waitFor({ state: "detached" });
  await mine.getByRole("button", { name: "Pin message" }).waitFor({ state: "attached" });
  await A.page.getByTestId("panel-close").click();
  await B.page.getByTestId("panel-close").click();
});

test("a direct message started from the sidebar reaches B live, under direct messages", async () => {
  await A.page.getByTestId("new-message").click();
  const dialog = A.page.getByTestId("new-message-dialog");
  await dialog.getByRole("searchbox", { name: "Find people" }).fill("bob");
  await dialog.getByRole("checkbox", { name: "Bob Builder (@bob)" }).check();
  await dialog.getByRole("button", { name: "Start conversation" }).click();
  await dialog.waitFor({ state: "hidden" });
  await A.page.getByTestId("channel-title").filter({ hasText: "Bob Builder" }).waitFor();
  const dm = await A.page.evaluate(() => /\/c\/([0-9a-f-]{36})/.exec(location.hash)[1]);
  await send(A.page, "just between us");
  const entry = B.page.getByRole("region", { name: "Direct messages" }).locator(`[data-channel-id="${dm}"]`);
  await entry.getByTestId("unread-badge").filter({ hasText: /^1$/ }).waitFor();
  assert.match(await entry.innerText(), /Ada Lovelace/);
  await entry.click();
  await messages(B.page, "just between us").waitFor();
  await entry.getByTestId("unread-badge").waitFor({ state: "detached" });
});

test("keyboard: Escape closes the thread and dialogs, arrows move in the switcher, Tab shows focus", async () => {
  await open(A.page, general);
  const root = messages(A.page, "the notes");
  await root.hover();
  await root.getByRole("button", { name: "Reply in thread" }).click();
  await A.page.getByTestId("thread-panel").waitFor();
  await A.page.keyboard.press("Escape");
  await A.page.getByTestId("thread-panel").waitFor({ state: "hidden" });
  await A.page.getByTestId("new-message").click();
  await A.page.getByTestId("new-message-dialog").waitFor();
  await closeDialog(A.page, A.page.getByTestId("new-message-dialog"));

  await A.page.keyboard.press("Control+k");
  await A.page.getByTestId("switcher").waitFor({ state: "visible" });
  const items = A.page.getByTestId("switcher-item");
  await items.first().waitFor();
  const ids = await items.evaluateAll((els) => els.map((e) => e.dataset.channelId));
  const at = async (i) => {
    await A.page.locator(`[data-testid="switcher-item"][aria-selected="true"]#sw-${i}`).waitFor();
    assert.equal(await A.page.getByRole("combobox").getAttribute("aria-activedescendant"), `sw-${i}`);
  };
  await at(0);
  await A.page.keyboard.press("ArrowUp");
  await at(ids.length - 1);
  await A.page.keyboard.press("ArrowDown");
  await at(0);
  const target = ids.findIndex((id, i) => i > 0 && id && id !== general); // not the open one
  assert.ok(target > 0, `another conversation to switch to: ${ids}`);
  for (let i = 1; i <= target; i++) {
    await A.page.keyboard.press("ArrowDown");
    await at(i);
  }
  await A.page.keyboard.press("Enter");
  await A.page.getByTestId("switcher").waitFor({ state: "hidden" });
  await A.page.waitForFunction((id) => location.hash.endsWith(id), ids[target]);

  await A.page.getByTestId("composer").click();
  await A.page.keyboard.press("Tab");
  const focus = await A.page.evaluate(() => {
    const el = document.activeElement;
    return { label: el.getAttribute("aria-label"), visible: el.matches(":focus-visible"), outline: getComputedStyle(el).outlineStyle };
  });
  assert.deepEqual(focus, { label: "Attach files", visible: true, outline: "solid" });

  // From the composer, Shift+Tab reaches the newest message's buttons; ↑ and ↓ then
  // move from message to message.
  await open(A.page, general);
  await messages(A.page, "the notes").waitFor();
  const list = A.page.getByTestId("message-list").getByTestId("message");
  const count = await list.count();
  assert.ok(count >= 2, `messages to move through: ${count}`);
  await A.page.getByTestId("composer").focus();
  await A.page.keyboard.press("Shift+Tab");
  const focusedIndex = () => A.page.evaluate(() => {
    const all = [...document.querySelectorAll('[data-testid="message-list"] [data-testid="message"]')];
    return all.indexOf(document.activeElement.closest('[data-testid="message"]'));
  });
  assert.equal(await focusedIndex(), count - 1, "Shift+Tab lands in the newest message");
  await A.page.keyboard.press("ArrowUp");
  assert.equal(await focusedIndex(), count - 2);
  await A.page.keyboard.press("ArrowDown");
  assert.equal(await focusedIndex(), count - 1);
});

test("a narrow window: the sidebar is a drawer behind the menu button", async () => {
  await bonnie.call("POST", `/api/v1/channels/${random}/join`);
  await open(A.page, random);
  const { context, page } = await signedIn(browser, server, "bonnie@acme.test", { viewport: { width: 390, height: 800 } });
  const sidebar = page.getByTestId("sidebar");
  const menu = page.getByRole("button", { name: "Show conversations" });
  // Booted: its first route closes the drawer, so open it only after that.
  await page.getByTestId("channel-title").filter({ hasText: "general" }).waitFor();
  await sidebar.waitFor({ state: "hidden" });
  await menu.click();
  await sidebar.waitFor({ state: "visible" });
  assert.equal(await menu.getAttribute("aria-expanded"), "true");
  await item(page, random).click();
  await sidebar.waitFor({ state: "hidden" });
  await page.waitForFunction((id) => location.hash.endsWith(id), random);
  assert.equal(await menu.getAttribute("aria-expanded"), "false");
  await send(page, "hello from a phone");
  await messages(page, "hello from a phone").and(page.locator(":not([data-pending])")).waitFor();
  await messages(A.page, "hello from a phone").waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), "nothing overflows sideways");
  const box = await page.getByTestId("composer").boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 390 && box.y + box.height <= 800, "the composer is on screen");
  await menu.click();
  await sidebar.waitFor({ state: "visible" });
  await page.keyboard.press("Escape");
  await sidebar.waitFor({ state: "hidden" });
  assert.ok(await menu.evaluate((b) => b === document.activeElement), "Escape hands focus back to the menu button");
  await menu.click();
  await sidebar.waitFor({ state: "visible" });
  await page.mouse.click(370, 400); // a tap on the backdrop beside the drawer
  await sidebar.waitFor({ state: "hidden" });
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("no script errors in either page", () => {
  assert.deepEqual(A.page.errors, [], "A's page");
  assert.deepEqual(B.page.errors, [], "B's page");
});

