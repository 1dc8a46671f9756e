// The web client in real headless Chromium against a real Parley server: two people in
// two browser contexts. Run by .ci/run (`npm test` here) after `cargo test` has built
// the server binary.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { Api, Server, launch, messages, open, png, send, signedIn } from "./harness.mjs";

const shots = resolve(new URL(".", import.meta.url).pathname, "../../docs/screenshots");
const server = new Server();
let browser, ada, bob, ws, general, random, A, B;

before(async () => {
  await server.start();
  ({ ada, ws } = await Api.setup(server));
  bob = await ada.invite(ws, "bob", "Bob Builder");
  general = await ada.channelId(ws, "general");
  random = (await ada.call("POST", `/api/v1/workspaces/${ws}/channels`, { name: "random", private: false })).json.id;
  await bob.call("POST", `/api/v1/channels/${random}/join`);
  await ada.say(general, "Welcome to **Acme**! Say hello :wave:");
  browser = await launch();
  A = await signedIn(browser, server, "ada@acme.test");
  B = await signedIn(browser, server, "bob@acme.test");
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server.cleanup();
});

test("A posts, B sees it live without reloading, once", async () => {
  await open(A.page, general);
  await open(B.page, general);
  await send(A.page, "hello from ada");
  await messages(B.page, "hello from ada").waitFor();
  await messages(A.page, "hello from ada").and(A.page.locator(":not([data-pending])")).waitFor();
  assert.equal(await messages(A.page, "hello from ada").count(), 1);
  assert.equal(await messages(B.page, "hello from ada").count(), 1);
});

test("an unread badge appears on another channel and clears when it is read", async () => {
  await open(B.page, random);
  const item = B.page.locator(`[data-testid="channel-item"][data-channel-id="${general}"]`).first();
  await ada.say(general, "lunch at noon");
  await B.page.locator(`[data-testid="channel-item"][data-channel-id="${general}"][data-unread="true"]`).first().waitFor();
  await ada.say(general, "@bob are you there?");
  await item.getByTestId("unread-badge").waitFor();
  assert.equal(await item.getByTestId("unread-badge").innerText(), "1", "one mention");
  assert.match(await B.page.title(), /^\(\d+\)/, "the tab title counts unread messages");
  await open(B.page, general);
  await B.page.getByTestId("message").filter({ hasText: "are you there?" }).waitFor();
  await item.getByTestId("unread-badge").waitFor({ state: "detached" });
  await B.page.locator(`[data-testid="channel-item"][data-channel-id="${general}"][data-unread="true"]`).waitFor({ state: "detached" });
  await B.page.waitForFunction(() => !/^\(\d+\)/.test(document.title));
});

test("a thread reply shows in the thread panel of both people", async () => {
  const root = messages(A.page, "hello from ada");
  await root.hover();
  await root.getByRole("button", { name: "Reply in thread" }).click();
  await A.page.getByTestId("thread-panel").waitFor();
  await send(A.page, "a reply in the thread", "thread-composer");
  await A.page.getByTestId("thread-panel").getByText("a reply in the thread").waitFor();
  const link = messages(B.page, "hello from ada").getByTestId("thread-link");
  await link.waitFor();
  await link.click();
  await B.page.getByTestId("thread-panel").getByText("a reply in the thread").waitFor();
  await A.page.screenshot({ path: resolve(shots, "thread.png") });
  await A.page.keyboard.press("Escape");
});

test("an uploaded image is previewed and shows in the other browser", async () => {
  await B.page.getByTestId("file-input").setInputFiles({ name: "gradient.png", mimeType: "image/png", buffer: png(64, 48) });
  await B.page.getByTestId("attachment-preview").waitFor();
  await B.page.locator('[data-testid="attachment-draft"][data-status="done"]').waitFor();
  await send(B.page, "a picture");
  const img = messages(A.page, "a picture").getByTestId("attachment-image");
  await img.waitFor();
  await A.page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
});

test("search finds a message and jumps to it in its channel", async () => {
  await ada.say(random, "the quarterly zeppelin report is ready");
  for (let i = 0; i < 30; i++) await ada.say(general, `filler message ${i}`);
  await open(A.page, general);
  const box = A.page.getByTestId("search-input");
  await box.fill("zeppelin");
  await box.press("Enter");
  const result = A.page.getByTestId("search-result").first();
  await result.waitFor();
  assert.match(await result.innerHTML(), /<mark>zeppelin<\/mark>/i);
  await A.page.screenshot({ path: resolve(shots, "search.png") });
  await result.click();
  const target = messages(A.page, "the quarterly zeppelin report is ready");
  await target.waitFor();
  await A.page.waitForFunction(() => location.hash.includes("/c/"));
  assert.ok(A.page.url().includes(random), "the channel of the result is open");
});

test("markup and javascript: links in messages are inert", async () => {
  await open(A.page, general);
  await open(B.page, general);
  await send(A.page, "<img src=x onerror=alert(1)> and [click me](javascript:alert(2))");
  const m = messages(B.page, "<img src=x onerror=alert(1)> and click me").or(
    B.page.getByTestId("message").filter({ hasText: "onerror" }),
  ).first();
  await m.waitFor();
  assert.equal(await m.locator("img[onerror], img[src='x']").count(), 0, "no image element was made");
  const hrefs = await m.locator("a").evaluateAll((as) => as.map((a) => a.getAttribute("href") || ""));
  assert.ok(hrefs.every((h) => !/^\s*javascript:/i.test(h)), `links: ${hrefs}`);
  const links = m.locator("a");
  if (await links.count()) await links.first().click({ noWaitAfter: true }).catch(() => {});
  await B.page.waitForTimeout(300);
  assert.deepEqual(B.page.errors.filter((e) => e.includes("dialog")), []);
});

test("a reaction added in one browser shows in the other", async () => {
  await open(A.page, general);
  await open(B.page, general);
  await send(A.page, "react to this, please");
  const target = messages(B.page, "react to this, please");
  await target.waitFor();
  await target.hover();
  await target.getByRole("button", { name: "Add reaction" }).click();
  const choice = B.page.getByTestId("emoji-choice").first();
  const emoji = await choice.getAttribute("data-emoji");
  await choice.click();
  await messages(A.page, "react to this, please").locator(`[data-testid="reaction"][data-emoji="${emoji}"]`).waitFor();
});

test("Up edits my last message, and the other browser sees the edit", async () => {
  await open(A.page, general);
  await open(B.page, general);
  await send(A.page, "a mesage with a typo");
  await messages(B.page, "a mesage with a typo").waitFor();
  await A.page.locator('[data-testid="message"]:not([data-pending])').filter({ hasText: "a mesage with a typo" }).waitFor();
  await A.page.getByTestId("composer").press("ArrowUp");
  const edit = A.page.getByTestId("edit-input");
  await edit.waitFor();
  await edit.fill("a message without a typo");
  await edit.press("Enter");
  // "(edited)" sits inside the text's paragraph, so match by contained text here.
  const fixed = B.page.getByTestId("message").filter({ hasText: "a message without a typo" });
  await fixed.getByTestId("edited").waitFor();
  assert.equal(await B.page.getByTestId("message").filter({ hasText: "a mesage with a typo" }).count(), 0);
});

test("Ctrl+K switches channel from the keyboard", async () => {
  await open(A.page, general);
  await A.page.getByTestId("composer").focus();
  await A.page.keyboard.press("Control+k");
  await A.page.getByTestId("switcher").waitFor({ state: "visible" });
  await A.page.keyboard.type("rand");
  await A.page.getByTestId("switcher-item").first().waitFor();
  await A.page.keyboard.press("Enter");
  await A.page.waitForFunction((id) => location.hash.includes(id), random);
  await A.page.getByTestId("switcher").waitFor({ state: "hidden" });
});

test("a server restart: B shows reconnecting, then every missed message once, in order", async () => {
  await open(B.page, general);
  await server.stop();
  await B.page.getByTestId("reconnecting").waitFor({ state: "visible" });
  await server.start();
  const missed = [];
  for (let i = 1; i <= 5; i++) missed.push((await ada.say(general, `missed message ${i}`)).id);
  for (const text of missed.map((_, i) => `missed message ${i + 1}`)) await messages(B.page, text).waitFor();
  await B.page.getByTestId("reconnecting").waitFor({ state: "hidden" });
  const shown = await B.page.getByTestId("message").evaluateAll((els) => els.map((e) => e.dataset.messageId));
  for (const id of missed) assert.equal(shown.filter((s) => s === id).length, 1, `message ${id} once`);
  const order = missed.map((id) => shown.indexOf(id));
  assert.deepEqual(order, [...order].sort((a, b) => a - b), "in order");
});

test("screenshots: wide and narrow, light and dark", async () => {
  // A channel with a conversation a team would have, for the pictures.
  const launchCh = (await ada.call("POST", `/api/v1/workspaces/${ws}/channels`,
    { name: "launch", private: false, topic: "Release 2.4 ships Thursday" })).json.id;
  await bob.call("POST", `/api/v1/channels/${launchCh}/join`);
  const plan = await ada.say(launchCh,
    "Morning! Release **2.4** is on track for Thursday. Still open:\n- [x] migrations reviewed\n- [ ] load test on staging\n- [ ] release notes");
  await bob.call("POST", `/api/v1/channels/${launchCh}/messages`, { text: "I'll take the release notes.", thread_root_id: plan.id });
  await bob.say(launchCh, "Load test is running on staging now, numbers in a few minutes.");
  await bob.say(launchCh, "Done: p95 `41 ms` at 500 req/s, zero errors. Details in #random.");
  await ada.say(launchCh, "@bob that is well inside the budget. Let's tick it off and freeze on Wednesday.");
  await open(A.page, launchCh);
  await messages(A.page, "@bob that is well inside the budget. Let's tick it off and freeze on Wednesday.").waitFor();
  const close = A.page.getByTestId("panel-close");
  if (await close.isVisible()) await close.click();
  await A.page.getByTestId("search-input").fill("");
  await A.page.getByTestId("composer").focus();
  await A.page.mouse.move(640, 300);
  await A.page.emulateMedia({ colorScheme: "light" });
  await A.page.screenshot({ path: resolve(shots, "chat-light.png") });
  await A.page.emulateMedia({ colorScheme: "dark" });
  await A.page.screenshot({ path: resolve(shots, "chat-dark.png") });
  const narrow = await signedIn(browser, server, "bob@acme.test", { viewport: { width: 360, height: 740 } });
  await narrow.page.goto(`${server.base}/#/w/${ws}/c/${launchCh}`);
  await narrow.page.getByTestId("channel-title").filter({ hasText: "launch" }).waitFor();
  await narrow.page.getByTestId("message").first().waitFor();
  await narrow.page.screenshot({ path: resolve(shots, "narrow.png") });
  await narrow.context.close();
  const login = await browser.newPage();
  await login.goto(`${server.base}/login`);
  await login.screenshot({ path: resolve(shots, "sign-in.png") });
  await login.close();
  // The restart above refused sockets and requests for a moment; nothing else may fail.
  const unexpected = (errors) => errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(e));
  assert.deepEqual(unexpected(A.page.errors), [], "no script errors in A's page");
  assert.deepEqual(unexpected(B.page.errors), [], "no script errors in B's page");
});
