// The admin dashboard in real headless Chromium: archiving a workspace turns another
// person's open tab read-only at once; deactivating someone who is connected
// in another browser closes their socket at once and refuses their next request; the
// overview's server-drawn charts carry the API's numbers, in both themes, and the pages
// fit a phone. No page may log an error (a CSP violation would).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Api, launch, Server, signedIn } from "./harness.mjs";

const server = new Server();
let browser, ada, ws, general, A, B;

before(async () => {
  await server.start();
  ({ ada, ws } = await Api.setup(server));
  await ada.invite(ws, "bob", "Bob Builder");
  general = await ada.channelId(ws, "general");
  for (const text of ["one", "two", "three"]) await ada.say(general, text);
  browser = await launch();
  A = await signedIn(browser, server, "ada@acme.test");
  B = await signedIn(browser, server, "bob@acme.test");
  B.page.on("websocket", (socket) => { B.socket = socket; });
  await B.page.reload();
  await B.page.getByTestId("composer").waitFor();
});

after(async () => {
  await browser?.close();
  await server.cleanup();
});

test("archiving the workspace turns an open tab read-only at once, and unarchiving gives the composer back", async () => {
  await A.page.goto(`${server.base}/admin/workspaces/${ws}`);
  await A.page.getByRole("button", { name: "Archive this workspace" }).click();
  await A.page.getByTestId("archived").waitFor();
  await B.page.getByTestId("archived-note").waitFor();
  assert.match(await B.page.getByTestId("archived-note").innerText(), /workspace is archived/);
  assert.equal(await B.page.getByTestId("composer").isVisible(), false, "no composer in an archived workspace");
  await A.page.getByRole("button", { name: "Unarchive" }).click();
  await B.page.getByTestId("composer").waitFor();
  assert.deepEqual(B.page.errors, []);
});

test("deactivating a connected person closes their socket and refuses their next request", async () => {
  assert.ok(B.socket, "bob's client opened its socket");
  // The client answers the socket's close (4010, account deactivated) by leaving for the
  // sign-in page; the frame itself is seen when the page is still there to see it.
  const closed = new Promise((resolve) => {
    B.socket.on("close", () => resolve("closed"));
    B.page.on("framenavigated", (f) => { if (f === B.page.mainFrame() && f.url().includes("/login")) resolve("signed out"); });
  });
  await A.page.goto(`${server.base}/admin/people`);
  const row = A.page.locator('tr[data-person="bob"]');
  await row.getByRole("button", { name: /Deactivate bob/ }).click();
  await A.page.locator('tr[data-person="bob"] td[data-status="deactivated"]').waitFor();
  assert.ok(["closed", "signed out"].includes(await closed));
  await B.page.waitForURL(/\/login/);
  const status = await B.page.evaluate(async () => (await fetch("/api/v1/me")).status);
  assert.equal(status, 401);
  assert.deepEqual(A.page.errors, []);
});

test("the overview's charts carry the API's numbers in both themes, and the pages fit a phone", async () => {
  const api = (await ada.call("GET", "/api/v1/admin/overview")).json;
  await A.page.goto(`${server.base}/admin`);
  const bars = await A.page.$$eval('[data-testid="messages-chart"] rect', (rects) =>
    rects.map((r) => [r.dataset.label, Number(r.dataset.value)]));
  assert.deepEqual(bars, api.messages_per_day.map((d) => [d.day, d.messages]));
  assert.ok(bars.at(-1)[1] >= 3, "today's messages are drawn");
  const fill = () => A.page.$eval('[data-testid="messages-chart"] rect:last-of-type', (r) => getComputedStyle(r).fill);
  const background = () => A.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await A.page.emulateMedia({ colorScheme: "light" });
  const light = [await fill(), await background()];
  await A.page.emulateMedia({ colorScheme: "dark" });
  const dark = [await fill(), await background()];
  assert.notEqual(light[0], dark[0], "the bars follow the theme");
  assert.notEqual(light[1], dark[1], "so does the page");
  assert.notEqual(dark[0], dark[1], "bars stand out from the page");
  await A.page.getByText("Show as a table").first().click();
  await A.page.getByTestId("messages-table").waitFor();

  const phone = await A.context.newPage();
  await phone.setViewportSize({ width: 360, height: 740 });
  for (const path of ["/admin", "/admin/people", "/admin/workspaces", "/admin/audit", "/admin/system"]) {
    await phone.goto(`${server.base}${path}`);
    const wide = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `${path} is ${wide} px wide on a 360 px phone`);
  }
  assert.deepEqual(A.page.errors, []);
});
