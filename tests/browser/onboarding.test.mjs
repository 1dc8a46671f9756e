// A team's first minutes in real headless Chromium, through the pages alone: the
// administrator sets the server up from the printed link, invites a colleague from the
// chat screen, and the colleague joins through the invitation page and says hello.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { PASSWORD, Server, launch, messages, serveClientFromDisk } from "./harness.mjs";

const shots = resolve(new URL(".", import.meta.url).pathname, "../../docs/screenshots");
const server = new Server();
let browser, admin, link;

/** Script errors and failed requests, except the ones a test provokes on purpose. */
function watchErrors(page) {
  page.errors = [];
  page.expected = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && !page.expected.some((re) => re.test(m.text()))) page.errors.push(m.text());
  });
}

before(async () => {
  await server.start();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server.cleanup();
});

test("the administrator sets up the server from the printed link", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await serveClientFromDisk(context);
  admin = await context.newPage();
  watchErrors(admin);
  await admin.goto(server.setupLink);
  await admin.getByLabel("Workspace name").fill("Acme");
  await admin.getByLabel("Your name").fill("Ada Lovelace");
  await admin.getByLabel("E-mail").fill("ada@acme.test");
  // Too short: the server's message is shown on the page and nothing is created.
  admin.expected.push(/status of 422/);
  await admin.getByLabel(/Password/).fill("short");
  await admin.getByLabel(/Password/).evaluate((el) => el.removeAttribute("minlength"));
  await admin.getByRole("button", { name: "Create workspace" }).click();
  await admin.getByRole("alert").waitFor();
  assert.match(await admin.getByRole("alert").textContent(), /8/);
  assert.equal(await admin.getByLabel("Workspace name").inputValue(), "Acme", "the form keeps what was typed");
  await admin.getByLabel(/Password/).fill(PASSWORD);
  await admin.getByRole("button", { name: "Create workspace" }).click();
  await admin.getByTestId("composer").waitFor();
  await admin.getByTestId("channel-title").filter({ hasText: "general" }).waitFor();
  // The link worked once.
  const again = await (await context.newPage()).goto(server.setupLink);
  assert.equal(again.status(), 404);
});

test("the administrator makes an invitation link from the chat screen", async () => {
  await admin.getByTestId("invite-people").click();
  await admin.getByTestId("invite-dialog").waitFor();
  await admin.getByTestId("invite-email").fill("grace@acme.test");
  await admin.getByTestId("invite-create").click();
  const field = admin.getByTestId("invite-link");
  await field.waitFor();
  link = await field.inputValue();
  assert.match(link, /\/invite\/[A-Za-z0-9_-]+$/);
  await admin.getByTestId("invite-mailed").filter({ hasText: "The link is on its way to grace@acme.test." }).waitFor();
  await admin.screenshot({ path: resolve(shots, "invite.png") });
  await admin.keyboard.press("Escape");
});

test("a colleague joins through the invitation page and the two talk", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 800 } });
  await serveClientFromDisk(context);
  const grace = await context.newPage();
  watchErrors(grace);
  await grace.goto(link);
  await grace.getByRole("heading", { name: "Join Acme" }).waitFor();
  assert.equal(await grace.getByLabel("E-mail").inputValue(), "grace@acme.test", "the address is the invited one");
  await grace.screenshot({ path: resolve(shots, "invite-page.png") });
  await grace.getByLabel("Your name").fill("Grace Hopper");
  await grace.getByLabel(/Password/).fill(PASSWORD);
  await grace.getByRole("button", { name: "Create account and join" }).click();
  // The app opens #general once it has loaded (the composer is there before that).
  await grace.getByTestId("channel-title").filter({ hasText: "general" }).waitFor();
  await grace.getByTestId("composer").fill("Hello, I just joined!");
  await grace.getByTestId("composer").press("Enter");
  await messages(admin, "Hello, I just joined!").waitFor();

  // The link was for one person: opening it again says so, as a page.
  const used = await (await browser.newContext()).newPage();
  const res = await used.goto(link);
  assert.equal(res.status(), 409);
  await used.getByText("This link does not work").waitFor();
  assert.deepEqual(admin.errors, []);
  assert.deepEqual(grace.errors, []);
});
