// What is read and what is not, in real headless Chromium (its own server and browser):
// reopening the app goes back to the conversation open last and marks nothing else
// read; a page in the background marks nothing read; "Mark as unread" and "Mark all as
// read", live on the person's other devices.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Api, launch, messages, open, Server, sidebarItem as item, signedIn, unreadBadge as badge } from "./harness.mjs";

const server = new Server();
let browser, ada, bob, ws, general, random, B, B2;

/**
 * Runs before the page's scripts: whether the page counts as visible and as focused is
 * ours to say (headless Chromium treats every page as both).
 */
function controlVisibility() {
  window.__visible = true;
  window.__focused = true;
  Object.defineProperty(Document.prototype, "visibilityState", { get: () => (window.__visible ? "visible" : "hidden") });
  Object.defineProperty(Document.prototype, "hidden", { get: () => !window.__visible });
  Document.prototype.hasFocus = () => window.__visible && window.__focused;
}

/** Hides or shows the page (another tab), or takes its window's focus away or back. */
async function setPage(page, { visible, focused }) {
  await page.evaluate(([v, f]) => {
    const was = [window.__visible, window.__focused];
    window.__visible = v;
    window.__focused = f;
    if (was[0] !== v) document.dispatchEvent(new Event("visibilitychange"));
    if (was[1] !== f || was[0] !== v) window.dispatchEvent(new Event(v && f ? "focus" : "blur"));
  }, [visible, focused]);
}

/** Bob's read state of a channel, from the server. */
const membership = async (id) => (await bob.call("GET", `/api/v1/channels/${id}`)).json.membership;
const unread = (page, id) => page.locator(`[data-testid="channel-item"][data-channel-id="${id}"][data-unread="true"]`).first();
const settle = (page) => page.waitForTimeout(800); // longer than the client waits before marking read

before(async () => {
  await server.start();
  ({ ada, ws } = await Api.setup(server));
  bob = await ada.invite(ws, "bob", "Bob Builder");
  general = await ada.channelId(ws, "general");
  random = (await ada.call("POST", `/api/v1/workspaces/${ws}/channels`, { name: "random", private: false })).json.id;
  await bob.call("POST", `/api/v1/channels/${random}/join`);
  for (let i = 1; i <= 5; i++) await ada.say(general, `good morning ${i}`);
  await ada.say(random, "coffee, anyone?");
  browser = await launch();
  B = await signedIn(browser, server, "bob@acme.test");
  B2 = await signedIn(browser, server, "bob@acme.test"); // Bob's other device
});

after(async () => {
  await browser?.close();
  await server.cleanup();
});

test("reopening the app goes back to the conversation open last, and a mention elsewhere keeps its badge", async () => {
  await open(B.page, general);
  await open(B.page, random);
  await open(B2.page, random);
  await ada.say(general, "@bob the build is red");
  await badge(B.page, general).filter({ hasText: /^1$/ }).waitFor();
  await B.page.goto(`${server.base}/`);
  await B.page.getByTestId("channel-title").filter({ hasText: "random" }).waitFor();
  await B.page.waitForFunction((id) => location.hash.endsWith(id), random);
  await badge(B.page, general).filter({ hasText: /^1$/ }).waitFor();
  await settle(B.page);
  assert.equal((await membership(general)).mention_count, 1, "#general is still unread on the server");
  assert.equal(await badge(B.page, general).innerText(), "1");
  // A conversation that is gone (left) falls back to #general.
  await bob.call("POST", `/api/v1/channels/${random}/leave`);
  await B.page.goto(`${server.base}/`);
  await B.page.getByTestId("channel-title").filter({ hasText: "general" }).waitFor();
  await badge(B.page, general).waitFor({ state: "detached" });
  await bob.call("POST", `/api/v1/channels/${random}/join`);
  await item(B.page, random).waitFor();
  await open(B2.page, random); // its #random went away too, and it moved to #general
});

test("a page in the background, or in a window without focus, marks nothing read; coming back does", async () => {
  await B.context.addInitScript(controlVisibility);
  await B.page.goto(`${server.base}/#/w/${ws}/c/${general}`);
  await B.page.reload(); // a new hash alone does not load the page again
  await messages(B.page, "@bob the build is red").waitFor();
  await settle(B.page);
  const start = (await membership(general)).last_read_seq;
  await setPage(B.page, { visible: false, focused: false });
  const hidden = await ada.say(general, "written while Bob's tab was hidden");
  await messages(B.page, "written while Bob's tab was hidden").waitFor();
  await unread(B.page, general).waitFor();
  await setPage(B.page, { visible: true, focused: false });
  await ada.say(general, "@bob and while his window had no focus");
  await badge(B.page, general).filter({ hasText: /^1$/ }).waitFor();
  await settle(B.page);
  const m = await membership(general);
  assert.equal(m.last_read_seq, start, "nothing was marked read");
  assert.ok(m.unread_count >= 2 && m.mention_count === 1, JSON.stringify(m));
  await setPage(B.page, { visible: true, focused: true });
  await badge(B.page, general).waitFor({ state: "detached" });
  await unread(B.page, general).waitFor({ state: "detached" });
  const after = await membership(general);
  assert.ok(after.last_read_seq > hidden.seq && after.unread_count === 0 && after.mention_count === 0, JSON.stringify(after));
});

test("opening a conversation at its first unread marks read only what is on screen, the rest once scrolled to", async () => {
  await open(B.page, general);
  await open(B2.page, general); // the other device must not read #random meanwhile
  const start = (await membership(random)).last_read_seq;
  let last;
  for (let i = 1; i <= 30; i++) last = await ada.say(random, `catching up, part ${i}`);
  await unread(B.page, random).waitFor();
  await open(B.page, random);
  await B.page.getByTestId("unread-divider").waitFor();
  await messages(B.page, "catching up, part 30").waitFor({ state: "attached" });
  await settle(B.page);
  const seen = await membership(random);
  assert.ok(seen.last_read_seq > start && seen.last_read_seq < last.seq, `read up to what shows: ${start} < ${seen.last_read_seq} < ${last.seq}`);
  assert.ok(seen.unread_count > 0);
  await unread(B.page, random).waitFor(); // still: not everything was seen
  await B.page.locator("#scroller").evaluate((s) => { s.scrollTop = s.scrollHeight; });
  await unread(B.page, random).waitFor({ state: "detached" });
  const all = await membership(random);
  assert.ok(all.last_read_seq >= last.seq && all.unread_count === 0, JSON.stringify(all));
});

test("Mark as unread: the conversation stays unread while Bob looks at it, on both his devices", async () => {
  await open(B.page, general);
  await open(B2.page, random);
  const target = messages(B.page, "written while Bob's tab was hidden");
  const seq = Number(await target.getAttribute("data-seq"));
  await target.hover();
  await target.getByRole("button", { name: "Mark as unread" }).click();
  await unread(B.page, general).waitFor();
  await unread(B2.page, general).waitFor(); // read.updated reached the other device
  await badge(B2.page, general).filter({ hasText: /^1$/ }).waitFor(); // the mention after it
  await B.page.getByTestId("unread-divider").waitFor();
  const next = await B.page.evaluate(() => document.querySelector('[data-testid="unread-divider"]').nextElementSibling.dataset.seq);
  assert.equal(Number(next), seq, "the New line is just above that message");
  await settle(B.page);
  await B.page.mouse.click(640, 300); // looking and clicking around is not reading it again
  await settle(B.page);
  assert.equal((await membership(general)).last_read_seq, seq - 1);
  await unread(B.page, general).waitFor();

  // A new message, then an interaction: read again.
  await ada.say(general, "one more thing");
  await messages(B.page, "one more thing").waitFor();
  await settle(B.page);
  assert.equal((await membership(general)).last_read_seq, seq - 1, "an arrival alone does not read it");
  await B.page.mouse.click(640, 300);
  await unread(B.page, general).waitFor({ state: "detached" });
  await unread(B2.page, general).waitFor({ state: "detached" });

  // Marked unread again, then away and back: read.
  await target.hover();
  await target.getByRole("button", { name: "Mark as unread" }).click();
  await unread(B.page, general).waitFor();
  await open(B.page, random);
  await settle(B.page);
  assert.equal((await membership(general)).last_read_seq, seq - 1);
  await open(B.page, general);
  await unread(B.page, general).waitFor({ state: "detached" });
  await unread(B2.page, general).waitFor({ state: "detached" });
});

test("Mark all as read: Shift+Esc and the sidebar button clear every badge, on both devices", async () => {
  await open(B.page, random);
  await open(B2.page, random);
  const bobId = (await bob.call("GET", "/api/v1/me")).json.id;
  const dm = (await ada.call("POST", `/api/v1/workspaces/${ws}/conversations`, { user_ids: [bobId] })).json.id;
  const makeUnread = async () => {
    await ada.say(general, "@bob please review");
    await ada.say(dm, "a direct question");
    await badge(B.page, general).waitFor();
    await badge(B.page, dm).waitFor();
    await badge(B2.page, dm).waitFor();
  };
  await makeUnread();
  await B.page.getByTestId("composer").focus();
  await B.page.keyboard.press("Shift+Escape");
  for (const page of [B.page, B2.page]) {
    await badge(page, general).waitFor({ state: "detached" });
    await badge(page, dm).waitFor({ state: "detached" });
    await unread(page, general).waitFor({ state: "detached" });
  }
  for (const id of [general, dm, random]) {
    const m = await membership(id);
    assert.ok(m.unread_count === 0 && m.mention_count === 0, `${id}: ${JSON.stringify(m)}`);
  }
  await makeUnread();
  await B.page.getByRole("button", { name: "Mark all as read" }).click();
  for (const page of [B.page, B2.page]) {
    await badge(page, general).waitFor({ state: "detached" });
    await badge(page, dm).waitFor({ state: "detached" });
  }
  await B.page.getByTestId("toast").filter({ hasText: "Everything in Acme is marked as read." }).first().waitFor();
});

test("no script errors in either page", () => {
  assert.deepEqual(B.page.errors, [], "B's page");
  assert.deepEqual(B2.page.errors, [], "B2's page");
});
