// Signing in with the identity provider's button in real headless Chromium, against the
// real OpenID provider CI starts (tests/sso/provider.mjs; PARLEY_TEST_OIDC_URL): the
// button, the provider's own login and consent pages, the chat screen with the workspace
// the provider's groups map to, the linked identity in Settings, and signing out of both.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Api, freePort, launch, serveClientFromDisk, Server, signedIn } from "./harness.mjs";

const idp = process.env.PARLEY_TEST_OIDC_URL;
let server, browser;

before(async () => {
  if (!idp) return;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const reg = await fetch(`${idp}/reg`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      redirect_uris: [`${base}/sso/idp/callback`], post_logout_redirect_uris: [`${base}/login`],
      grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic",
    }),
  }).then((r) => r.json());
  const config = join(mkdtempSync(join(tmpdir(), "parley-sso-")), "parley.toml");
  writeFileSync(config, `
[[sso.providers]]
id = "idp"
name = "Test IdP"
issuer = "${idp}"
client_id = "${reg.client_id}"
client_secret = "${reg.client_secret}"
scopes = ["groups"]
allow_signup = true

[[sso.providers.rules]]
group = "eng"
workspace = "acme"
role = "member"
`);
  server = new Server({ PARLEY_CONFIG: config });
  server.port = port;
  await server.start();
  await Api.setup(server);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.cleanup();
});

test("the provider's button signs a new person in, into the mapped workspace; Settings shows the link; signing out offers the provider's", { skip: !idp && "PARLEY_TEST_OIDC_URL unset" }, async () => {
  const who = `ivy-${Date.now()}@acme.test`;
  const put = await fetch(`${idp}/test/accounts/${encodeURIComponent(who)}`, {
    method: "PUT", body: JSON.stringify({ email: who, email_verified: true, name: "Ivy Idp", groups: ["eng"] }),
  });
  assert.equal(put.status, 204);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await serveClientFromDisk(context);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(`${server.base}/login`);
  await page.getByTestId("sso-button").filter({ hasText: "Sign in with Test IdP" }).click();
  // The provider's own pages: its login form, then consent.
  await page.locator('input[name="login"]').fill(who);
  await page.locator('input[name="password"]').fill("any password");
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(`${server.base}/`);
  await page.getByTestId("composer").waitFor();
  const me = await page.evaluate(async () => (await fetch("/api/v1/me")).json());
  assert.equal(me.display_name, "Ivy Idp");
  const workspaces = await page.evaluate(async () => (await fetch("/api/v1/workspaces")).json());
  assert.deepEqual(workspaces.map((w) => [w.slug, w.my_role]), [["acme", "member"]]);

  await page.getByTestId("settings-button").click();
  const methods = page.getByTestId("sign-in-methods");
  await methods.getByTestId("sso-identity").filter({ hasText: "Test IdP" }).waitFor();
  assert.equal(await methods.getByTestId("sso-link").count(), 0, "nothing left to link");

  await page.getByTestId("sign-out").click();
  await page.waitForURL(`${server.base}/login?signed_out_of=idp`);
  await page.getByTestId("provider-sign-out").getByRole("link", { name: "Sign out of Test IdP too" }).click();
  await page.getByRole("button", { name: "Yes, sign me out" }).click(); // the provider asks to confirm
  await page.waitForURL(`${server.base}/login`);
  assert.deepEqual(errors, []);
  await context.close();
});

test("a person signed in with a password links the provider from Settings (a POST, the provider's sign-in, back to Settings)", { skip: !idp && "PARLEY_TEST_OIDC_URL unset" }, async () => {
  const sub = `ada-at-idp-${Date.now()}`;
  const put = await fetch(`${idp}/test/accounts/${encodeURIComponent(sub)}`, {
    method: "PUT", body: JSON.stringify({ email: "ada@acme.test", email_verified: true, name: "Ada at IdP", groups: [] }),
  });
  assert.equal(put.status, 204);
  const { context, page } = await signedIn(browser, server, "ada@acme.test");
  await page.getByTestId("settings-button").click();
  const methods = page.getByTestId("sign-in-methods");
  await methods.getByTestId("sso-link").filter({ hasText: "Link Test IdP" }).click();
  await page.locator('input[name="login"]').fill(sub);
  await page.locator('input[name="password"]').fill("any password");
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(`${server.base}/#settings`); // which opens Settings again
  await methods.getByTestId("sso-identity").filter({ hasText: "Test IdP" }).waitFor();
  assert.equal(await methods.getByTestId("sso-link").count(), 0, "nothing left to link");
  // The test provider's own pages ask for a stylesheet on the internet, unreachable here.
  assert.deepEqual(page.errors.filter((e) => !e.includes("ERR_NAME_NOT_RESOLVED")), []);
  await context.close();
});
