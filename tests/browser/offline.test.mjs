// Losing the network in real headless Chromium (its own server and browser): the offline
// bar, messages written meanwhile kept as "not sent yet" and sent once, with the same
// client_msg_id, when the network is back; error toasts that are plain sentences.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Api, launch, messages, open, send, Server, signedIn } from "./harness.mjs";

const server = new Server();
let browser, ada, ws, general, B;
const posts = []; // the client_msg_id of every message POST B's page made

before(async () => {
  await server.start();
  ({ ada, ws } = await Api.setup(server));
  await ada.invite(ws, "bob", "Bob Builder");
  general = await ada.channelId(ws, "general");
  await ada.say(general, "the last thing before the tunnel");
  browser = await launch();
  B = await signedIn(browser, server, "bob@acme.test");
  B.page.on("request", (r) => {
    if (r.method() === "POST" && /\/api\/v1\/channels\/[^/]+\/messages$/.test(r.url())) posts.push(JSON.parse(r.postData()));
  });
});

after(async () => {
  await browser?.close();
  await server.cleanup();
});

/** How many messages of #general have exactly this text, on the server. */
async function onServer(text) {
  const page = (await ada.call("GET", `/api/v1/channels/${general}/messages?limit=50`)).json;
  return page.messages.filter((m) => m.text === text).length;
}

/** B's pending copy of a message (not yet the server's). */
const pending = (text) => B.page.locator("[data-pending]").filter({ hasText: text });
const toastTexts = (page) => page.getByTestId("toast").allInnerTexts();
const badToast = (t) => /\b[a-z]+_[a-z_]+\b|\.\.|^[a-z]/.test(t.trim());

test("offline: the bar shows, a message waits as not sent yet, and goes out once when the network is back", async () => {
  await open(B.page, general);
  await B.context.setOffline(true);
  const bar = B.page.getByTestId("offline-bar");
  await bar.waitFor({ state: "visible" });
  assert.match(await bar.innerText(), /offline/i);
  await send(B.page, "written in the tunnel");
  await pending("written in the tunnel").and(B.page.locator('[data-status="queued"]')).waitFor();
  assert.match(await pending("written in the tunnel").getByTestId("pending-status").innerText(), /^Not sent yet\./);
  await send(B.page, "and a second one");
  await pending("and a second one").and(B.page.locator('[data-status="queued"]')).waitFor();
  await B.page.waitForTimeout(2500); // longer than the first automatic retry
  assert.equal(await onServer("written in the tunnel"), 0);
  await B.context.setOffline(false);
  await bar.waitFor({ state: "hidden" });
  const mine = messages(B.page, "written in the tunnel");
  await mine.waitFor();
  await messages(B.page, "and a second one").waitFor();
  await pending("and a second one").waitFor({ state: "detached" });
  assert.equal(await mine.count(), 1, "shown once");
  assert.equal(await onServer("written in the tunnel"), 1, "posted once");
  assert.equal(await onServer("and a second one"), 1);
  const order = await B.page.getByTestId("message").evaluateAll((els) => els.map((e) => e.innerText));
  const first = order.findIndex((t) => t.includes("written in the tunnel"));
  assert.ok(first >= 0 && first < order.findIndex((t) => t.includes("and a second one")), "in the order written");
  const tried = new Set(posts.filter((p) => p.text === "written in the tunnel").map((p) => p.client_msg_id));
  assert.equal(tried.size, 1, "every attempt carried the same client_msg_id");
  for (const t of await toastTexts(B.page)) assert.ok(!badToast(t), `toast: ${t}`);
});

test("a send whose answer is lost goes again with the same client_msg_id and shows once", async () => {
  // The socket must not bring the message either, so that only the resend can.
  await B.context.routeWebSocket(/\/api\/v1\/ws$/, (socket) => {
    const real = socket.connectToServer();
    real.onMessage((frame) => {
      if (!(typeof frame === "string" && frame.includes('"message.created"') && frame.includes("did this arrive?"))) socket.send(frame);
    });
    socket.onMessage((frame) => real.send(frame));
  });
  await B.page.reload();
  await messages(B.page, "the last thing before the tunnel").waitFor();
  await B.page.getByTestId("reconnecting").waitFor({ state: "hidden" });
  let lost = 0;
  await B.page.route("**/api/v1/channels/*/messages", async (route) => {
    if (route.request().method() !== "POST" || lost++) return route.continue();
    await route.fetch(); // the server has it...
    await route.abort("internetdisconnected"); // ...but the answer never arrives
  });
  await send(B.page, "did this arrive?");
  const mine = messages(B.page, "did this arrive?");
  await mine.waitFor();
  await pending("did this arrive?").waitFor({ state: "detached" });
  await B.page.waitForTimeout(2500);
  assert.equal(await mine.count(), 1, "shown once");
  assert.equal(await onServer("did this arrive?"), 1, "posted once");
  const tried = posts.filter((p) => p.text === "did this arrive?").map((p) => p.client_msg_id);
  assert.ok(tried.length >= 2, `sent again: ${tried.length} attempts`);
  assert.equal(new Set(tried).size, 1, `same client_msg_id on every attempt: ${tried}`);
  await B.page.unroute("**/api/v1/channels/*/messages");
});

test("error toasts are plain sentences: no codes, no double full stops", async () => {
  const target = messages(B.page, "the last thing before the tunnel");
  const pin = async () => {
    await target.hover();
    await target.getByRole("button", { name: /^(Pin|Unpin) message$/ }).click();
    const t = B.page.getByTestId("toast").last();
    await t.waitFor();
    const text = await t.innerText();
    await t.getByRole("button", { name: "Dismiss" }).click();
    return text;
  };
  const answer = (status, code, message, headers = {}) => (route) => route.fulfill({
    status, headers, contentType: "application/json", body: JSON.stringify({ error: { code, message } }),
  });
  const cases = [
    [answer(429, "rate_limited", "too many attempts; see Retry-After", { "retry-after": "3" }), /^Too many requests at once\. Try again in 3 seconds\.$/],
    [answer(409, "too_many_pins", "the channel has the most pins allowed; unpin something first."), /^The channel has the most pins allowed; unpin something first\.$/],
    [answer(500, "internal_error", "internal error"), /^Something went wrong on the server\./],
    [(route) => route.fulfill({ status: 502, body: "Bad Gateway" }), /^Something went wrong on the server\./],
    [(route) => route.abort("internetdisconnected"), /^Could not reach the server\./],
  ];
  for (const [handler, want] of cases) {
    await B.page.route("**/api/v1/messages/*/pin", handler);
    const text = await pin();
    await B.page.unroute("**/api/v1/messages/*/pin");
    assert.match(text, want);
    assert.ok(!badToast(text), `toast: ${text}`);
  }
  // The request that never reached the server showed the bar; the server answers, it goes.
  assert.match(await B.page.getByTestId("offline-bar").innerText(), /server cannot be reached/);
  await B.page.getByTestId("offline-bar").waitFor({ state: "hidden" });
});

test("no script errors", () => {
  const unexpected = B.page.errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(e));
  assert.deepEqual(unexpected, []);
});
