// Errors in real headless Chromium (its own server and browser): error toasts that are
// plain sentences.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Api, launch, messages, Server, signedIn } from "./harness.mjs";

const server = new Server();
let browser, ada, ws, general, B;

before(async () => {
  await server.start();
  ({ ada, ws } = await Api.setup(server));
  await ada.invite(ws, "bob", "Bob Builder");
  general = await ada.channelId(ws, "general");
  await ada.say(general, "the last thing before the tunnel");
  browser = await launch();
  B = await signedIn(browser, server, "bob@acme.test");
});

after(async () => {
  await browser?.close();
  await server.cleanup();
});

const badToast = (t) => /\b[a-z]+_[a-z_]+\b|\.\.|^[a-z]/.test(t.trim());

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
});

test("no script errors", () => {
  const unexpected = B.page.errors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED/.test(e));
  assert.deepEqual(unexpected, []);
});
