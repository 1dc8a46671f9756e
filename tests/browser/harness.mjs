// A real Parley server (the debug binary cargo built) on a free port with a fresh
// SQLite data directory, a small API client for setting the scene, and Chromium.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { deflateSync } from "node:zlib";
import { chromium } from "playwright-core";

const here = new URL(".", import.meta.url).pathname;
export const PASSWORD = "correct horse battery staple";

export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });
}

export class Server {
  /** `env`: settings of this server's own (PARLEY_… variables). */
  constructor(env = {}) {
    this.bin = process.env.PARLEY_BIN || resolve(here, "../../target/debug/parley");
    this.dataDir = mkdtempSync(join(tmpdir(), "parley-browser-"));
    this.setupLink = null;
    this.env = env;
  }

  async start() {
    this.port ??= await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.proc = spawn(this.bin, ["serve"], {
      env: {
        ...process.env,
        PARLEY_SERVER__BIND: `127.0.0.1:${this.port}`,
        PARLEY_SERVER__SITE_URL: this.base,
        PARLEY_SERVER__DATA_DIR: this.dataDir,
        PARLEY_SERVER__SHUTDOWN_TIMEOUT_S: "2",
        PARLEY_JOBS__POLL_MS: "50",
        PARLEY_LOG__FILTER: "warn",
        ...this.env,
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.proc.stdout.setEncoding("utf8");
    this.proc.stdout.on("data", (chunk) => {
      const m = /create the administrator account at (\S+)/.exec(chunk);
      if (m) this.setupLink = m[1];
    });
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`${this.base}/readyz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("the server did not become ready");
  }

  /** SIGTERM, as a deploy would, and wait for the process to exit. */
  async stop() {
    if (!this.proc) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGTERM");
    await exited;
    this.proc = null;
  }

  /** The mails the embedded transport wrote to the outbox, oldest first, as text
   * (quoted-printable soft breaks and `=3D` undone, enough to find links). */
  outbox() {
    const dir = join(this.dataDir, "outbox");
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((n) => n.endsWith(".eml")).sort()
      .map((n) => readFileSync(join(dir, n), "utf8").replace(/=\r\n/g, "").replace(/=3D/g, "="));
  }

  /** Waits for a mail to `to` in which `pattern` matches; returns the match. */
  async mailed(to, pattern) {
    for (let i = 0; i < 400; i++) {
      for (const raw of this.outbox()) {
        const found = raw.includes(`<${to}>`) || raw.includes(`To: ${to}`) ? pattern.exec(raw) : null;
        if (found) return found;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no mail to ${to} with ${pattern}`);
  }

  async cleanup() {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A signed-in API client (cookie session) for setting up what the browsers see. */
export class Api {
  constructor(server, cookie) {
    this.server = server;
    this.cookie = cookie;
  }

  async call(method, path, body) {
    const res = await fetch(`${this.server.base}${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        origin: this.server.base,
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : null;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    const set = res.headers.getSetCookie().find((c) => /^[^=;]*parley_session=/.test(c));
    return { json, cookie: set ? set.split(";")[0] : null };
  }

  static async setup(server) {
    const token = new URL(server.setupLink).searchParams.get("token");
    const r = await new Api(server).call("POST", "/api/v1/setup", {
      token, workspace_name: "Acme", display_name: "Ada Lovelace", email: "ada@acme.test",
      username: "ada", password: PASSWORD,
    });
    const ada = new Api(server, r.cookie);
    const [ws] = (await ada.call("GET", "/api/v1/workspaces")).json;
    return { ada, ws: ws.id };
  }

  async invite(ws, username, displayName) {
    const inv = await this.call("POST", `/api/v1/workspaces/${ws}/invites`, { role: "member" });
    const r = await new Api(this.server).call("POST", "/api/v1/auth/signup", {
      invite_token: inv.json.token, email: `${username}@acme.test`, display_name: displayName,
      username, password: PASSWORD,
    });
    return new Api(this.server, r.cookie);
  }

  async channelId(ws, name) {
    const list = (await this.call("GET", `/api/v1/workspaces/${ws}/channels`)).json;
    return list.find((c) => c.name === name).id;
  }

  async say(channel, text) {
    return (await this.call("POST", `/api/v1/channels/${channel}/messages`, { text })).json;
  }
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/**
 * Opt-in for working on the client: static/js/*.js and static/css/ are embedded in the
 * binary (src/web/assets.rs), so an edit there reaches the browser only after
 * a rebuild. With PARLEY_CLIENT_FROM_DISK=1 a context serves them from this checkout
 * instead. Off by default: CI tests the embedded files.
 */
export async function serveClientFromDisk(context) {
  if (process.env.PARLEY_CLIENT_FROM_DISK !== "1") return;
  const root = resolve(here, "../../static");
  const serve = (file, contentType) => (route) =>
    (existsSync(file(route)) ? route.fulfill({ path: file(route), contentType }) : route.continue());
  const module = (route) => join(root, "js", new URL(route.request().url()).pathname.split("/").pop());
  await context.route("**/static/js/*", serve(module, "text/javascript; charset=utf-8"));
  // The stylesheet is static/css/ joined in ORDER.txt's order, as the server embeds it.
  await context.route("**/static/app.css", (route) => {
    const order = readFileSync(join(root, "css", "ORDER.txt"), "utf8").split("\n").filter(Boolean);
    const body = order.map((name) => readFileSync(join(root, "css", name), "utf8")).join("");
    return route.fulfill({ body, contentType: "text/css; charset=utf-8" });
  });
}

/** A browser context signed in through the sign-in page, on the chat screen. */
export async function signedIn(browser, server, email, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  await serveClientFromDisk(context);
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") page.errors.push(m.text());
  });
  page.on("dialog", (d) => {
    page.errors.push(`unexpected dialog: ${d.message()}`);
    d.dismiss();
  });
  await page.goto(`${server.base}/login`);
  await page.getByTestId("login-email").fill(email);
  await page.getByTestId("login-password").fill(PASSWORD);
  await page.getByTestId("login-submit").click();
  await page.waitForURL(`${server.base}/**`);
  await page.getByTestId("composer").waitFor();
  return { context, page };
}

/** The message elements whose body text is exactly `text`. */
export function messages(page, text) {
  return page.getByTestId("message").filter({ has: page.getByTestId("message-body").getByText(text, { exact: true }) });
}

/** Opens a conversation from the sidebar and waits until it is the open one. */
export async function open(page, channelId) {
  const item = page.locator(`[data-testid="channel-item"][data-channel-id="${channelId}"]`);
  await item.first().click();
  await item.and(page.locator('[aria-current="page"]')).first().waitFor();
}

/** A conversation's entry in the sidebar, and its unread badge. */
export const sidebarItem = (page, id) => page.locator(`[data-testid="channel-item"][data-channel-id="${id}"]`).first();
export const unreadBadge = (page, id) => sidebarItem(page, id).getByTestId("unread-badge");

/** Closes a dialog with Escape and waits until it is gone. */
export async function closeDialog(page, dialog) {
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
}

/** Types a message into a composer and sends it with Enter. */
export async function send(page, text, testid = "composer") {
  const box = page.getByTestId(testid);
  await box.fill(text);
  await box.press("Enter");
}

/** A real w×h RGB PNG (a colour gradient), made here so the server can thumbnail it. */
export function png(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(w, 0);
  header.writeUInt32BE(h, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = [];
  for (let y = 0; y < h; y++) {
    rows.push(0);
    for (let x = 0; x < w; x++) rows.push((x * 255) / w, (y * 255) / h, 180);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.from(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
