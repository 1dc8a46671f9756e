// Integrations in real headless Chromium (its own server and browser): an admin makes an
// incoming webhook and a bot in the Integrations page, tools post from here (Node's fetch)
// as they would, and another person sees the messages live as an app's, with cards;
// hostile card markup stays inert; members create webhooks only when the workspace lets them.
import { createServer } from "node:http";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Api, closeDialog, launch, messages, open, send, Server, signedIn } from "./harness.mjs";
import { lowContrast } from "./contrast.mjs";

// Outgoing webhooks here go to a receiver on 127.0.0.1, which only an allowlist opens;
// a failed delivery is tried again after a second.
process.env.PARLEY_INTEGRATIONS__ALLOW_HOSTS = '["127.0.0.1"]';
process.env.PARLEY_INTEGRATIONS__WEBHOOK_RETRY_S = "[1]";
const server = new Server();
let browser, ada, ws, general, A, B, hookUrl;

before(async () => {
  await server.start();
  ({ ada, ws } = await Api.setup(server));
  await ada.invite(ws, "bob", "Bob Builder");
  general = await ada.channelId(ws, "general");
  browser = await launch();
  A = await signedIn(browser, server, "ada@acme.test");
  B = await signedIn(browser, server, "bob@acme.test");
});

after(async () => {
  await browser?.close();
  await server.cleanup();
});

/** What a tool does: POST JSON to a URL (a hook's, or the API's with a bot token). */
async function post(url, body, headers = {}) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

async function openIntegrations(page) {
  await page.getByTestId("integrations-button").click();
  const dialog = page.getByTestId("integrations-dialog");
  await dialog.waitFor();
  await dialog.locator('[data-testid="hook-new"], [data-testid="hook-create-denied"]').first().waitFor();
  return dialog;
}

test("an admin makes a webhook for #general; a post to its URL shows live for a member as an app with a card", async () => {
  await open(B.page, general);
  await open(A.page, general);
  const dialog = await openIntegrations(A.page);
  await dialog.getByTestId("hook-new").click();
  await dialog.getByTestId("hook-name").fill("Deploys");
  assert.equal(await dialog.getByTestId("hook-channel").locator("option:checked").innerText(), "#general", "the open channel is chosen");
  await dialog.getByTestId("hook-create").click();
  hookUrl = await dialog.getByTestId("hook-url").inputValue();
  assert.match(hookUrl, new RegExp(`^${server.base}/hooks/hook_\\S+$`));
  const curl = await dialog.getByTestId("hook-curl").innerText();
  assert.equal(curl, `curl -X POST -H 'Content-Type: application/json' --data '{"text":"Hello from curl"}' ${hookUrl}`);
  for (const suffix of ["/github", "/gitlab", "/alertmanager", "/grafana", "/sentry"]) assert.ok((await dialog.innerText()).includes(suffix), suffix);
  const row = dialog.getByTestId("hook").filter({ hasText: "Deploys" });
  assert.match(await row.innerText(), /#general · hook_\S+…[\s\S]*Made by you/);
  await measureContrast(A.page, "integrations dialog");
  await closeDialog(A.page, dialog);

  const sent = await post(hookUrl, {
    text: "Deploy *finished*", icon_emoji: ":rocket:",
    attachments: [{
      color: "#36a64f", pretext: "Production", author_name: "CI", title: "Build 42", title_link: "https://ci.example.com/42",
      text: "All checks are _green_",
      fields: [{ title: "Branch", value: "main", short: true }, { title: "Took", value: "3 min", short: true }, { title: "Notes", value: "A longer note that takes the whole row", short: false }],
      image_url: "https://ci.example.com/graph.png", footer: "ci.example.com", ts: 1700000000,
    }],
  });
  assert.equal(sent.status, 200, sent.text);
  const msg = messages(B.page, "Deploy finished");
  await msg.waitFor();
  assert.equal(await msg.locator(".msg-author").innerText(), "Deploys");
  await msg.getByTestId("app-badge").waitFor();
  assert.equal(await msg.locator(".msg-gutter .avatar").innerText(), "🚀");
  const card = msg.getByTestId("card");
  assert.equal(await card.count(), 1);
  assert.equal(await card.evaluate((c) => getComputedStyle(c).borderLeftColor), "rgb(54, 166, 79)", "the colour bar");
  assert.deepEqual(await card.getByTestId("card-field").locator(".card-field-title").allInnerTexts(), ["Branch", "Took", "Notes"]);
  const [branch, took, notes] = await card.getByTestId("card-field").evaluateAll((fs) => fs.map((f) => f.getBoundingClientRect()));
  assert.ok(branch.top === took.top && took.left > branch.left, "two short fields share a row");
  assert.ok(notes.top > branch.top && notes.width > branch.width * 1.5, "a long field takes the whole row");
  const title = card.getByTestId("card-title").locator("a");
  assert.equal(await title.getAttribute("href"), "https://ci.example.com/42");
  assert.equal(await title.getAttribute("target"), "_blank");
  assert.equal(await title.getAttribute("rel"), "noopener noreferrer");
  assert.equal(await msg.locator("img").count(), 0, "the image is a link, not loaded");
  assert.equal(await card.locator(".card-image a").getAttribute("href"), "https://ci.example.com/graph.png");
  assert.match(await msg.locator(".card-pretext").innerText(), /Production/);
  await measureContrast(B.page, "a card");

  // A 360 px wide phone: the card fits.
  await B.page.setViewportSize({ width: 360, height: 740 });
  const box = await card.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 360, `card from ${box.x} to ${box.x + box.width}`);
  assert.ok(await B.page.getByTestId("message-list").evaluate((l) => l.scrollWidth <= l.clientWidth), "no sideways scrolling");
  await B.page.setViewportSize({ width: 1280, height: 800 });
  assert.deepEqual(B.page.errors, []);
});

async function measureContrast(page, where) {
  const failures = [];
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    for (const f of await lowContrast(page)) failures.push(`${scheme}, ${where}: ${f}`);
  }
  await page.emulateMedia({ colorScheme: null });
  assert.deepEqual(failures, [], `texts below WCAG AA:\n${failures.join("\n")}`);
}

test("hostile card markup is inert: no element from it, no javascript: link", async () => {
  const sent = await post(hookUrl, {
    text: "hostile card",
    attachments: [{
      color: "red;background:url(https://evil.example/x)", title: "<img src=x onerror=alert(1)>", title_link: "javascript:alert(1)",
      author_name: "<b>bold</b>", author_link: "javascript:alert(2)", text: "<script>alert(3)</script><img src=x onerror=alert(4)>",
      fields: [{ title: "<img src=x onerror=alert(5)>", value: "<a href=\"javascript:alert(6)\">x</a>", short: true }],
      image_url: "javascript:alert(7)",
    }],
  });
  assert.equal(sent.status, 200, sent.text);
  const msg = messages(B.page, "hostile card");
  const card = msg.getByTestId("card");
  await card.waitFor();
  assert.equal(await msg.locator("img, script, b").count(), 0, "no element from the payload");
  assert.equal(await msg.locator('[href^="javascript:" i]').count(), 0, "no javascript: link");
  assert.equal(await card.getByTestId("card-title").innerText(), "<img src=x onerror=alert(1)>", "the title is text");
  assert.equal(await card.getByTestId("card-title").locator("a").count(), 0, "no link for a javascript: title_link");
  assert.notEqual(await card.evaluate((c) => getComputedStyle(c).backgroundImage), "url(\"https://evil.example/x\")");
  assert.deepEqual(B.page.errors, [], "no script ran, no dialog opened");
});

test("a member sees only their own webhooks, and may create one only when the workspace allows it", async () => {
  let dialog = await openIntegrations(B.page);
  await dialog.getByTestId("hook-create-denied").waitFor();
  assert.equal(await dialog.getByTestId("hook-new").count(), 0, "no create button");
  assert.deepEqual(await dialog.getByRole("tab").allInnerTexts(), ["Incoming webhooks", "Outgoing webhooks"], "no bots or settings tab for a member");
  await dialog.getByTestId("hooks-empty").waitFor(); // Ada's webhook is hers to manage
  await closeDialog(B.page, dialog);

  dialog = await openIntegrations(A.page);
  await dialog.getByRole("tab", { name: "Settings" }).click();
  await dialog.getByRole("checkbox", { name: "Members may create incoming webhooks" }).check();
  await A.page.getByTestId("toast").filter({ hasText: "Members may now create incoming webhooks." }).waitFor();
  await closeDialog(A.page, dialog);

  dialog = await openIntegrations(B.page);
  await dialog.getByTestId("hook-new").click();
  await dialog.getByTestId("hook-name").fill("Bob's alerts");
  await dialog.getByTestId("hook-create").click();
  await dialog.getByTestId("hook-url").waitFor();
  await dialog.getByTestId("hook").filter({ hasText: "Bob's alerts" }).waitFor();
  assert.equal(await dialog.getByTestId("hook").count(), 1, "still only his own");
  await closeDialog(B.page, dialog);
});

test("rename, new URL and delete: the old URL stops working at once", async () => {
  const dialog = await openIntegrations(A.page);
  const row = dialog.getByTestId("hook").filter({ hasText: "Deploys" });
  await row.getByRole("button", { name: "Rename Deploys" }).click();
  await A.page.locator("#prompt-input").fill("Releases");
  await A.page.locator("#prompt-ok").click();
  const renamed = dialog.getByTestId("hook").filter({ hasText: "Releases" });
  await renamed.waitFor();
  await renamed.getByTestId("hook-rotate").click();
  await A.page.locator("#confirm-ok").click();
  const url = await dialog.getByTestId("hook-url").inputValue();
  assert.notEqual(url, hookUrl);
  assert.notEqual((await post(hookUrl, { text: "old url" })).status, 200, "the old URL is refused");
  assert.equal((await post(url, { text: "new url" })).status, 200);
  await renamed.getByTestId("hook-delete").click();
  await A.page.locator("#confirm-ok").click();
  await renamed.waitFor({ state: "detached" });
  assert.notEqual((await post(url, { text: "deleted" })).status, 200, "a deleted hook's URL is refused");
  await closeDialog(A.page, dialog);
});

test("a bot made in the page with a chat:write token posts to #general once added, shown as an app", async () => {
  const dialog = await openIntegrations(A.page);
  await dialog.getByRole("tab", { name: "Bots" }).click();
  await dialog.getByTestId("bot-new").click();
  await dialog.getByTestId("bot-display-name").fill("Deploy Bot");
  assert.equal(await dialog.getByTestId("bot-username").inputValue(), "deploy-bot", "a username is suggested");
  await dialog.getByTestId("bot-create").click();
  const bot = dialog.getByTestId("bot").filter({ hasText: "Deploy Bot" });
  await bot.getByTestId("app-badge").waitFor();
  await bot.getByTestId("token-name").fill("ci");
  await bot.locator('input[data-scope="chat:write"]').check();
  await bot.getByTestId("token-create").click();
  const token = await bot.getByTestId("bot-token-value").inputValue();
  assert.match(token, /^bot_\S+$/);
  assert.match(await bot.getByTestId("bot-token").innerText(), /ci[\s\S]*chat:write/);
  await closeDialog(A.page, dialog);

  const say = () => post(`${server.base}/api/v1/channels/${general}/messages`, { text: "beep from the bot" }, { authorization: `Bearer ${token}` });
  assert.notEqual((await say()).status, 201, "not before it is in the channel");
  await A.page.getByTestId("members-button").click();
  const panel = A.page.getByTestId("details-panel");
  const option = panel.locator("#add-member-select option").filter({ hasText: "Deploy Bot (@deploy-bot) · app" });
  await option.waitFor({ state: "attached" });
  await panel.locator("#add-member-select").selectOption(await option.getAttribute("value"));
  await panel.getByRole("button", { name: "Add", exact: true }).click();
  await panel.getByTestId("member").filter({ hasText: "Deploy Bot" }).getByTestId("app-badge").waitFor();
  await A.page.getByTestId("panel-close").click();

  const sent = await say();
  assert.equal(sent.status, 201, sent.text);
  const msg = messages(B.page, "beep from the bot");
  await msg.waitFor();
  assert.equal(await msg.locator(".msg-author").innerText(), "Deploy Bot");
  await msg.getByTestId("app-badge").waitFor();
  assert.deepEqual(A.page.errors, []);
  assert.deepEqual(B.page.errors, []);
});

test("an outgoing webhook made in the Integrations page: secret shown once, its delivery log, redeliver and a test event", async () => {
  const received = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      received.push({ id: req.headers["webhook-id"], signature: req.headers["webhook-signature"], body: JSON.parse(body) });
      res.writeHead(received.length === 1 ? 503 : 200, { "content-type": "text/plain" });
      res.end(received.length === 1 ? "busy" : "ok");
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${receiver.address().port}/events`;
  try {
    await open(A.page, general);
    const dialog = await openIntegrations(A.page);
    await dialog.getByTestId("tab-outgoing").click();
    await dialog.getByTestId("out-new").click();
    await dialog.getByTestId("out-name").fill("Audit trail");
    await dialog.getByTestId("out-url").fill(url);
    assert.equal(await dialog.getByTestId("out-scope").locator("option:checked").innerText(), "Every public channel");
    await dialog.getByTestId("out-create").click();
    const secret = await dialog.getByTestId("out-secret").inputValue();
    assert.match(secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
    await dialog.getByRole("button", { name: "Done" }).click();
    assert.equal(await dialog.getByTestId("out-secret").count(), 0, "the secret is shown once");
    const row = dialog.getByTestId("out-hook").filter({ hasText: "Audit trail" });
    assert.match(await row.innerText(), /every public channel → http:\/\/127\.0\.0\.1:\d+\/events[\s\S]*message\.created/);

    await ada.say(general, "for the audit trail");
    for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(received.length, 2, "a 503, then the retry a second later");
    assert.equal(received[0].id, received[1].id, "the same webhook-id on the retry");
    assert.equal(received[1].body.data.text, "for the audit trail");

    await row.getByTestId("out-log").click();
    const delivery = row.getByTestId("out-delivery").first();
    await delivery.waitFor();
    assert.match(await delivery.innerText(), /message\.created[\s\S]*delivered[\s\S]*msg_/);
    assert.deepEqual(await delivery.getByTestId("out-attempt").allInnerTexts().then((t) => t.map((x) => x.split(" ")[0])), ["503", "200"]);
    await delivery.getByTestId("out-redeliver").click();
    for (let i = 0; i < 100 && received.length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(received[2].id, received[0].id, "a redelivery keeps the webhook-id");

    await row.getByTestId("out-test").click();
    for (let i = 0; i < 100 && received.length < 4; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(received[3].body.type, "ping");
    await row.getByTestId("out-toggle").click();
    await row.getByTestId("out-off").waitFor();
    await measureContrast(A.page, "outgoing webhooks");
    await closeDialog(A.page, dialog);
    assert.deepEqual(A.page.errors, []);
  } finally {
    receiver.close();
  }
});

test("slash commands: autocomplete with usage hints, an ephemeral answer only the caller sees (gone on reload), /me", async () => {
  const seen = [];
  const commandServer = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => { body += c; });
    req.on("end", () => {
      const form = new URLSearchParams(body);
      seen.push(form);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(form.get("text") === "later" ? {} : { text: `Deploying *${form.get("text")}* <javascript:alert(1)|now>` }));
    });
  });
  await new Promise((r) => commandServer.listen(0, "127.0.0.1", r));
  try {
    const dialog = await openIntegrations(A.page);
    await dialog.getByTestId("tab-commands").click();
    await dialog.getByTestId("cmd-new").click();
    await dialog.getByTestId("cmd-name").fill("/deploy");
    await dialog.getByTestId("cmd-url").fill(`http://127.0.0.1:${commandServer.address().port}/cmd`);
    await dialog.getByLabel("Description").fill("Ship a build");
    await dialog.getByLabel("Usage hint").fill("[environment]");
    await dialog.getByTestId("cmd-create").click();
    assert.match(await dialog.getByTestId("cmd-secret").inputValue(), /^whsec_/);
    await dialog.getByRole("button", { name: "Done" }).click();
    assert.match(await dialog.getByTestId("cmd").innerText(), /\/deploy \[environment\][\s\S]*POST http:\/\/127\.0\.0\.1:\d+\/cmd[\s\S]*Ship a build/);
    await closeDialog(A.page, dialog);
    await A.page.reload();
    await open(A.page, general);
    await open(B.page, general);
    const composer = A.page.getByTestId("composer");
    await composer.fill("/dep");
    const item = A.page.getByTestId("autocomplete-item").filter({ hasText: "/deploy" });
    await item.waitFor();
    assert.match(await item.innerText(), /\/deploy\s*\[environment\]\s*Ship a build/);
    await composer.press("Tab");
    assert.equal(await composer.inputValue(), "/deploy ");
    await composer.pressSequentially("staging");
    await composer.press("Enter");
    const answer = A.page.getByTestId("ephemeral").filter({ hasText: "Deploying staging" });
    await answer.waitFor();
    assert.match(await answer.innerText(), /\/deploy[\s\S]*Only visible to you/);
    assert.equal(await answer.locator('a[href^="javascript"]').count(), 0, "the answer is sanitised");
    assert.equal(seen[0].get("user_name"), "ada");
    assert.equal(seen[0].get("command"), "/deploy");

    // A later answer through the response_url reaches Ada's socket, not Bob's.
    await composer.fill("/deploy later");
    await composer.press("Enter");
    for (let i = 0; i < 50 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const sent = await post(seen[1].get("response_url"), { text: "Finished *later*" });
    assert.equal(sent.status, 200, sent.text);
    await A.page.getByTestId("ephemeral").filter({ hasText: "Finished later" }).waitFor();
    await send(A.page, "/me waves");
    await messages(B.page, "waves").waitFor();
    assert.equal(await B.page.getByTestId("ephemeral").count(), 0, "Bob sees none of Ada's private answers");
    await measureContrast(A.page, "ephemeral answers");
    await A.page.reload();
    await open(A.page, general);
    await messages(A.page, "waves").waitFor();
    assert.equal(await A.page.getByTestId("ephemeral").count(), 0, "gone on reload");
    assert.deepEqual(A.page.errors, []);
    assert.deepEqual(B.page.errors, []);
  } finally {
    commandServer.close();
  }
});

test("pickers offer people and bots, not what webhooks and commands post as", async () => {
  await A.page.reload();
  await A.page.getByTestId("new-message").click();
  const dialog = A.page.getByTestId("new-message-dialog");
  const people = dialog.locator("#dm-people");
  await people.getByText("Deploy Bot").waitFor();
  const listed = await people.innerText();
  for (const identity of ["Audit trail", "/deploy"]) {
    assert.ok(!listed.includes(identity), `${identity} is not offered: ${listed}`);
  }
  await A.page.keyboard.press("Escape");
  await open(A.page, general);
  const composer = A.page.getByTestId("composer");
  await composer.fill("@De");
  await A.page.getByTestId("autocomplete-item").filter({ hasText: "Deploy Bot" }).waitFor();
  await composer.fill("@Audit");
  await A.page.getByTestId("autocomplete-item").first().waitFor({ state: "detached" });
  assert.equal(await A.page.getByTestId("autocomplete-item").count(), 0, "a webhook's identity is not offered for @mention");
  await composer.fill("");
});
