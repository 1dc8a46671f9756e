// Settings and desktop notifications in real headless Chromium, beside chat.test.mjs and
// features.test.mjs (its own server and browser): theme, profile and status, muting,
// do not disturb, and which messages notify while the page is in the background.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Api, closeDialog, launch, messages, open, PASSWORD, Server, sidebarItem as item, signedIn, unreadBadge as badge } from "./harness.mjs";

const server = new Server();
let browser, ada, bob, ws, general, random, dm, bobId, bonnieId, A, B;

/**
 * B's pages run this first. A spy on the browser's Notification API: what the client
 * would show lands in window.__notes (the objects in window.__shown), and the permission
 * is the context's real one. And a switch for whether the page counts as visible and
 * focused: headless Chromium treats every page as focused, and notify.js only notifies
 * pages in the background.
 */
function spyOnBrowser() {
  window.__notes = [];
  window.__shown = [];
  window.__foreground = true;
  const Real = window.Notification;
  window.Notification = class Notification {
    constructor(title, options = {}) {
      window.__notes.push({ title, body: options.body || "" });
      window.__shown.push(this);
      this.title = title;
    }

    close() {}

    static get permission() { return Real.permission; }

    static requestPermission(...args) { return Real.requestPermission(...args); }
  };
  Object.defineProperty(Document.prototype, "visibilityState", { get: () => (window.__foreground ? "visible" : "hidden") });
  Object.defineProperty(Document.prototype, "hidden", { get: () => !window.__foreground });
  Document.prototype.hasFocus = () => window.__foreground;
}

/** Sends the page to the background (another tab, another window) or brings it back. */
async function foreground(page, on) {
  await page.evaluate((fg) => {
    window.__foreground = fg;
    document.dispatchEvent(new Event("visibilitychange"));
    window.dispatchEvent(new Event(fg ? "focus" : "blur"));
  }, on);
}

const notes = (page) => page.evaluate(() => window.__notes);

/** Runs `action`, then waits until the badge of `id` has counted one more. */
async function oneMore(page, id, action) {
  const n = (await badge(page, id).count()) ? Number(await badge(page, id).innerText()) : 0;
  await action();
  await badge(page, id).filter({ hasText: new RegExp(`^${n + 1}$`) }).waitFor();
}

/** Opens the settings dialog; closing it is the caller's Escape. */
async function settings(page) {
  await page.getByTestId("settings-button").click();
  const dialog = page.getByTestId("settings-dialog");
  await dialog.waitFor();
  return dialog;
}

before(async () => {
  await server.start();
  ({ ada, ws } = await Api.setup(server));
  bob = await ada.invite(ws, "bob", "Bob Builder");
  const bonnie = await ada.invite(ws, "bonnie", "Bonnie Parker");
  bobId = (await bob.call("GET", "/api/v1/me")).json.id;
  bonnieId = (await bonnie.call("GET", "/api/v1/me")).json.id;
  general = await ada.channelId(ws, "general");
  random = (await ada.call("POST", `/api/v1/workspaces/${ws}/channels`, { name: "random", private: false })).json.id;
  await bob.call("POST", `/api/v1/channels/${random}/join`);
  dm = (await ada.call("POST", `/api/v1/workspaces/${ws}/conversations`, { user_ids: [bobId] })).json.id;
  await ada.say(dm, "just between us");
  browser = await launch();
  A = await signedIn(browser, server, "ada@acme.test");
  B = await signedIn(browser, server, "bob@acme.test", { permissions: ["notifications"] });
  await B.context.addInitScript(spyOnBrowser);
  B.page.on("websocket", (socket) => { B.socket = socket; });
  await B.page.reload();
  await B.page.getByTestId("composer").waitFor();
});

after(async () => {
  await browser?.close();
  await server.cleanup();
});

test("settings: the dark theme applies at once and survives a reload", async () => {
  const theme = () => A.page.evaluate(() => [document.documentElement.dataset.theme, getComputedStyle(document.documentElement).colorScheme]);
  let dialog = await settings(A.page);
  await dialog.getByRole("radio", { name: "Dark" }).check();
  assert.deepEqual(await theme(), ["dark", "dark"]);
  await closeDialog(A.page, dialog);
  await A.page.reload();
  await A.page.getByTestId("composer").waitFor();
  assert.deepEqual(await theme(), ["dark", "dark"]);
  dialog = await settings(A.page);
  assert.ok(await dialog.getByRole("radio", { name: "Dark" }).isChecked());
  await dialog.getByRole("radio", { name: "System default" }).check();
  assert.equal((await theme())[0], undefined);
  await closeDialog(A.page, dialog);
});

test("settings: a new display name and status show in the other browser", async () => {
  await open(B.page, dm);
  const dialog = await settings(A.page);
  await dialog.getByLabel("Display name").fill("Ada King");
  await dialog.getByLabel("Emoji", { exact: true }).fill("🚢");
  await dialog.getByLabel("Status", { exact: true }).fill("Shipping the release");
  await dialog.getByRole("button", { name: "Save profile" }).click();
  await A.page.getByTestId("toast").filter({ hasText: "Profile saved." }).waitFor();
  await closeDialog(A.page, dialog);
  await item(B.page, dm).filter({ hasText: "Ada King" }).waitFor();
  await B.page.getByTestId("channel-topic").filter({ hasText: "🚢 Shipping the release" }).waitFor();
  await messages(B.page, "just between us").filter({ hasText: "Ada King" }).waitFor();
});

test("settings: a muted channel stays read for plain messages, but a mention badges it", async () => {
  await open(B.page, random);
  await B.page.getByTestId("members-button").click();
  await B.page.getByTestId("details-panel").getByTestId("mute-toggle").check();
  await B.page.getByTestId("toast").filter({ hasText: "Notification preference saved." }).last().waitFor();
  await B.page.getByTestId("panel-close").click();
  await open(B.page, dm);
  // The open conversation is marked read a moment after it shows; the title counts the rest.
  await B.page.locator(`[data-testid="channel-item"][data-channel-id="${dm}"][data-unread="false"]`).waitFor();
  await ada.say(random, "plain words in a muted channel");
  await ada.say(general, "plain words in general");
  // Events arrive in order: once general is unread, random's message has been handled.
  await B.page.locator(`[data-testid="channel-item"][data-channel-id="${general}"][data-unread="true"]`).waitFor();
  assert.equal(await item(B.page, random).getAttribute("data-unread"), "false");
  await oneMore(B.page, random, () => ada.say(random, "@bob this one is for you"));
  const title = await B.page.title();
  assert.match(title, /^\(1\) /, `the mention counts in the title: ${title}`);
});

test("settings: do not disturb survives a reload", async () => {
  const dnd = (dialog) => dialog.getByRole("checkbox", { name: /^Do not disturb/ });
  const busy = B.page.locator('[data-testid="settings-button"][aria-label$="(do not disturb)"]');
  let dialog = await settings(B.page);
  await dnd(dialog).check();
  await busy.waitFor();
  await closeDialog(B.page, dialog);
  await B.page.reload();
  await busy.waitFor();
  assert.equal((await bob.call("GET", "/api/v1/me")).json.dnd, true);
  dialog = await settings(B.page);
  assert.ok(await dnd(dialog).isChecked(), "the box is still ticked after a reload");
  await dnd(dialog).uncheck();
  await busy.waitFor({ state: "detached" });
  await closeDialog(B.page, dialog);
  assert.equal((await bob.call("GET", "/api/v1/me")).json.dnd, false);
});

test("/away: appear away while active, shown to others; /away again comes back", async () => {
  await open(B.page, general);
  const composer = B.page.getByTestId("composer");
  await composer.fill("/away "); // the space: past the autocomplete, so Enter runs it
  await composer.press("Enter");
  await B.page.getByTestId("toast").filter({ hasText: "You appear away." }).last().waitFor();
  assert.equal((await bob.call("GET", "/api/v1/me")).json.away, true);
  const seen = await ada.call("GET", `/api/v1/presence?user_ids=${bobId}`);
  assert.equal(seen.json[0].status, "away", "others see bob away although his page is active");
  const dialog = await settings(B.page);
  assert.ok(await dialog.getByRole("checkbox", { name: /^Appear away/ }).isChecked());
  await closeDialog(B.page, dialog);
  await composer.fill("/away "); // the space: past the autocomplete, so Enter runs it
  await composer.press("Enter");
  await B.page.getByTestId("toast").filter({ hasText: "You appear active again." }).last().waitFor();
  assert.equal((await bob.call("GET", "/api/v1/me")).json.away, false);
  assert.equal(await composer.inputValue(), "", "the command is not posted");
});

test("settings: e-mail notifications — how often, in minutes; muted conversations listed beside it", async () => {
  const dialog = await settings(B.page);
  const section = dialog.getByTestId("email-settings");
  await section.getByTestId("email-state").filter({ hasText: /^You are mailed when something is still unread/ }).waitFor();
  assert.match(await section.getByTestId("email-overrides").innerText(), /#random — muted/);
  await section.getByTestId("email-frequency").selectOption("never");
  await section.getByTestId("email-state").filter({ hasText: "You are mailed never." }).waitFor();
  assert.ok(await section.getByTestId("email-delay").isHidden(), "minutes only go with 'after a while'");
  assert.equal((await bob.call("GET", "/api/v1/me/email-notifications")).json.frequency, "never");
  await section.getByTestId("email-frequency").selectOption("after_delay");
  await section.getByTestId("email-delay").fill("5");
  await section.getByTestId("email-delay").dispatchEvent("change");
  await section.getByTestId("email-state").filter({ hasText: "5 minutes later" }).waitFor();
  const saved = (await bob.call("GET", "/api/v1/me/email-notifications")).json;
  assert.deepEqual([saved.frequency, saved.delay_minutes], ["after_delay", 5]);
  await closeDialog(B.page, dialog);
});

test("a mail's link opens the message it names, highlighted; its settings link opens settings", async () => {
  const sent = await ada.say(general, "the link in the mail points here");
  await B.page.goto(`${server.base}/#/w/${ws}/c/${general}/m/${sent.id}`);
  await B.page.locator(`[data-message-id="${sent.id}"].highlight`).waitFor();
  await B.page.goto(`${server.base}/#settings`);
  await B.page.getByTestId("settings-dialog").getByTestId("email-settings").waitFor();
  await closeDialog(B.page, B.page.getByTestId("settings-dialog"));
});

test("desktop notifications in the background: mentions and DMs; not with DND, 'Nothing' or mute", async () => {
  let dialog = await settings(B.page);
  await dialog.getByRole("checkbox", { name: /^Notify me about mentions/ }).check();
  await closeDialog(B.page, dialog);
  await open(B.page, general);
  await B.page.locator(`[data-testid="channel-item"][data-channel-id="${general}"][data-unread="false"]`).waitFor();
  await foreground(B.page, false);
  await ada.say(general, "@bob are you around?");
  await B.page.waitForFunction(() => window.__notes.length === 1);
  await ada.say(dm, "a word in private");
  await B.page.waitForFunction(() => window.__notes.length === 2);
  const [mention, direct] = await notes(B.page);
  assert.match(mention.title, /^Ada King in #general$/);
  assert.equal(mention.body, "@bob are you around?");
  assert.deepEqual(direct, { title: "Ada King", body: "a word in private" });
  // The tab title counts general's mention, the direct message and random's mention.
  await B.page.waitForFunction(() => document.title.startsWith("(3) "));
  const badges = await B.page.getByTestId("unread-badge").allInnerTexts();
  assert.equal(badges.reduce((n, b) => n + Number(b), 0), 3, `the sidebar agrees: ${badges}`);

  // Each case below must not notify; the badge that counts it says it has been handled.
  await oneMore(B.page, random, () => ada.say(random, "@bob a mention in a muted channel"));
  await foreground(B.page, true);
  dialog = await settings(B.page);
  await dialog.getByTestId("notify-level").selectOption("none");
  await B.page.getByTestId("toast").filter({ hasText: "Notification preference saved." }).last().waitFor();
  await dialog.getByRole("checkbox", { name: /^Do not disturb/ }).check();
  await B.page.locator('[data-testid="settings-button"][aria-label$="(do not disturb)"]').waitFor();
  await closeDialog(B.page, dialog);
  await open(B.page, random);
  await foreground(B.page, false);
  await oneMore(B.page, dm, () => ada.say(dm, "a word while you are busy"));
  dialog = await settings(B.page);
  await dialog.getByRole("checkbox", { name: /^Do not disturb/ }).uncheck();
  await B.page.locator('[data-testid="settings-button"][aria-label$="(do not disturb)"]').waitFor({ state: "detached" });
  await closeDialog(B.page, dialog);
  await oneMore(B.page, general, () => ada.say(general, "@bob a mention where you asked for nothing"));
  assert.equal((await notes(B.page)).length, 2, "no notification for DND, 'Nothing' or mute");
  await ada.say(dm, "and one more");
  await B.page.waitForFunction(() => window.__notes.length === 3);
  assert.equal((await notes(B.page))[2].body, "and one more");
  // Clicking it opens the conversation at that message.
  await B.page.evaluate(() => window.__shown.at(-1).onclick());
  await B.page.waitForFunction((id) => location.hash.endsWith(id), dm);
  await messages(B.page, "and one more").waitFor();
  await foreground(B.page, true);
});

test("the first message of a conversation B was just added to counts, even while it loads", async () => {
  // A bot creates a group with B and posts at once. B's client has read the new, still
  // empty, conversation, but that answer is held back until the message reached B's socket.
  const text = "hello from the release bot";
  const arrived = B.socket.waitForEvent("framereceived", { predicate: (f) => String(f.payload).includes(text) });
  let read;
  const snapshot = new Promise((resolve) => { read = resolve; });
  const conversation = /\/api\/v1\/channels\/[0-9a-f-]{36}$/;
  await B.page.route(conversation, async (route) => {
    const response = await route.fetch();
    read();
    await arrived;
    await route.fulfill({ response });
  });
  await foreground(B.page, false);
  const group = (await ada.call("POST", `/api/v1/workspaces/${ws}/conversations`, { user_ids: [bobId, bonnieId] })).json.id;
  await snapshot;
  await ada.say(group, text);
  await badge(B.page, group).filter({ hasText: /^1$/ }).waitFor();
  await B.page.waitForFunction((t) => window.__notes.some((n) => n.body === t), text);
  await foreground(B.page, true);
  await B.page.unroute(conversation);
});

test("settings: a wrong current password is refused in place; the right one changes it", async () => {
  const C = await signedIn(browser, server, "bonnie@acme.test");
  const dialog = await settings(C.page);
  await dialog.getByLabel("Current password").fill("not my password");
  await dialog.getByLabel(/New password/).fill("a brand new passphrase");
  await dialog.getByRole("button", { name: "Change password" }).click();
  await dialog.getByText("The current password is not right.").waitFor();
  assert.ok(C.page.url().startsWith(`${server.base}/`) && !C.page.url().includes("/login"), "still signed in");
  await dialog.getByLabel("Current password").fill(PASSWORD);
  await dialog.getByRole("button", { name: "Change password" }).click();
  await C.page.getByTestId("toast").filter({ hasText: "Password changed." }).waitFor();
  // Toasts live in the top layer, so this one shows above the open settings dialog.
  assert.ok(await C.page.evaluate(() => document.getElementById("toasts").matches(":popover-open")));
  const login = (password) => fetch(`${server.base}/api/v1/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "bonnie@acme.test", password }),
  }).then((r) => r.status);
  assert.equal(await login(PASSWORD), 401, "the old password no longer works");
  assert.equal(await login("a brand new passphrase"), 200);
  assert.deepEqual(C.page.errors.filter((e) => !/status of 401/.test(e)), []);
  await C.context.close();
});

test("forgot password: from the sign-in page to a mailed link, a new password, and in again", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${server.base}/login`);
  await page.getByTestId("forgot-password").click();
  await page.getByTestId("reset-email").fill("bonnie@acme.test");
  await page.getByTestId("reset-submit").click();
  await page.getByTestId("reset-sent").waitFor();
  const [link] = await server.mailed("bonnie@acme.test", /https?:\/\/\S+\/reset-password\?token=pwr_[A-Za-z0-9_-]+/);
  await page.goto(link);
  await page.getByTestId("reset-password").fill("reset by mail 2026");
  await page.getByTestId("reset-save").click();
  await page.waitForURL(/\/login$/);
  await page.getByTestId("login-email").fill("bonnie@acme.test");
  await page.getByTestId("login-password").fill("reset by mail 2026");
  await page.getByTestId("login-submit").click();
  await page.getByTestId("settings-button").waitFor();
  await page.goto(link);
  await page.getByTestId("notice-message").filter({ hasText: /expired or was already used/ }).waitFor();
  await context.close();
});

test("settings: a new e-mail address counts once the link mailed to it is opened", async () => {
  const dialog = await settings(B.page);
  assert.equal(await dialog.getByTestId("address-now").innerText(), "bob@acme.test");
  await dialog.getByTestId("new-address").fill("bobby@builders.test");
  await dialog.getByTestId("address-password").fill("not my password");
  await dialog.getByTestId("address-submit").click();
  await dialog.getByText("The current password is not right.").waitFor();
  // The refused password's 401 is in the console; it is the answer this test asked for.
  B.page.errors = B.page.errors.filter((e) => !/status of 401/.test(e));
  await dialog.getByTestId("address-password").fill(PASSWORD);
  await dialog.getByTestId("address-submit").click();
  await dialog.getByTestId("address-sent").filter({ hasText: "bobby@builders.test" }).waitFor();
  await closeDialog(B.page, dialog);
  assert.equal((await bob.call("GET", "/api/v1/me")).json.email, "bob@acme.test", "not before the link is opened");
  const [link] = await server.mailed("bobby@builders.test", /https?:\/\/\S+\/verify-email\?t=emc_[A-Za-z0-9_-]+/);
  const page = await B.context.newPage();
  await page.goto(link);
  await page.getByTestId("email-landing-action").click();
  await page.getByRole("heading", { name: "Your address is changed" }).waitFor();
  await page.close();
  assert.equal((await bob.call("GET", "/api/v1/me")).json.email, "bobby@builders.test");
});

test("no script errors in either page", () => {
  assert.deepEqual(A.page.errors, [], "A's page");
  assert.deepEqual(B.page.errors, [], "B's page");
});

