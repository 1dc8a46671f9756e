// Deactivated accounts in real headless Chromium (its own server and browser): shown as
// such in member lists, never offered for a new conversation or an @mention, and told
// why on the sign-in page.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Api, closeDialog, launch, open, PASSWORD, Server, serveClientFromDisk, signedIn } from "./harness.mjs";

const server = new Server();
let browser, ada, ws, general, carolId, A;

before(async () => {
  await server.start();
  ({ ada, ws } = await Api.setup(server));
  await ada.invite(ws, "bob", "Bob Builder");
  const carol = await ada.invite(ws, "carol", "Carol Danvers");
  carolId = (await carol.call("GET", "/api/v1/me")).json.id;
  general = await ada.channelId(ws, "general");
  await carol.say(general, "hello from carol, before she left");
  await ada.call("POST", `/api/v1/admin/users/${carolId}/deactivate`);
  browser = await launch();
  A = await signedIn(browser, server, "ada@acme.test");
});

after(async () => {
  await browser?.close();
  await server.cleanup();
});

test("a deactivated person is tagged and greyed in the member list, with no Message button", async () => {
  await open(A.page, general);
  await A.page.getByTestId("members-button").click();
  const panel = A.page.getByTestId("details-panel");
  const carol = panel.locator(`[data-testid="member"][data-user-id="${carolId}"]`);
  await carol.getByTestId("deactivated-tag").waitFor();
  assert.match(await carol.innerText(), /Carol Danvers\s*deactivated/);
  assert.equal(await carol.getByRole("button", { name: /Message/ }).count(), 0, "no new conversation with her");
  const bob = panel.getByTestId("member").filter({ hasText: "Bob Builder" });
  assert.equal(await bob.getByTestId("deactivated-tag").count(), 0);
  await bob.getByRole("button", { name: "Message Bob Builder" }).waitFor();
  const grey = await carol.locator(".member-name").evaluate((n) => getComputedStyle(n).color);
  const normal = await bob.locator(".member-name").evaluate((n) => getComputedStyle(n).color);
  assert.notEqual(grey, normal, "her name is greyed");
  await A.page.getByTestId("panel-close").click();
});

test("a deactivated person cannot be chosen for a new conversation, the switcher or an @mention", async () => {
  await A.page.getByTestId("new-message").click();
  const dialog = A.page.getByTestId("new-message-dialog");
  await dialog.getByRole("searchbox", { name: "Find people" }).fill("car");
  const row = dialog.locator(`[data-testid="person"][data-user-id="${carolId}"]`);
  await row.getByTestId("deactivated-tag").waitFor();
  assert.ok(await row.getByRole("checkbox").isDisabled(), "her checkbox is disabled");
  await dialog.getByRole("searchbox", { name: "Find people" }).fill(""); // else Escape only empties it
  await closeDialog(A.page, dialog);

  await A.page.keyboard.press("Control+k");
  await A.page.getByTestId("switcher").waitFor({ state: "visible" });
  await A.page.keyboard.type("carol");
  await A.page.getByText("No matches").waitFor();
  await closeDialog(A.page, A.page.getByTestId("switcher"));

  const box = A.page.getByTestId("composer");
  await box.pressSequentially("@b");
  await A.page.getByTestId("autocomplete-item").filter({ hasText: "Bob Builder" }).waitFor();
  await box.fill("");
  await box.pressSequentially("@car");
  await A.page.waitForTimeout(300);
  assert.equal(await A.page.getByTestId("autocomplete-item").filter({ hasText: "Carol" }).count(), 0);
  await box.fill("");
});

test("the sign-in page tells a deactivated person so, without signing her in", async () => {
  const context = await browser.newContext();
  await serveClientFromDisk(context);
  const page = await context.newPage();
  await page.goto(`${server.base}/login`);
  await page.getByTestId("login-email").fill("carol@acme.test");
  await page.getByTestId("login-password").fill(PASSWORD);
  const [answer] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/login") && r.request().method() === "POST"),
    page.getByTestId("login-submit").click(),
  ]);
  assert.equal(answer.status(), 403);
  const error = page.getByTestId("login-error");
  await error.waitFor();
  assert.match(await error.innerText(), /deactivated/i);
  assert.match(await error.innerText(), /administrator/i);
  assert.equal(new URL(page.url()).pathname, "/login");
  assert.equal((await context.cookies()).filter((c) => /parley_session/.test(c.name)).length, 0, "no session");
  await context.close();
});

test("no script errors", () => {
  assert.deepEqual(A.page.errors, []);
});
