"""Outgoing webhooks checked from outside with the Standard Webhooks reference library.

A receiver on 127.0.0.1 (allowlisted for this run) verifies every delivery with
`standardwebhooks.Webhook(secret).verify` and answers as each scenario needs:
  - /reply: 200 with a Slack-style `{"text": ...}` answer, posted back as the hook;
  - /flaky: 500 three times per webhook-id, then 200 (same webhook-id, exactly one
    more success; later deliveries of the ordered hook wait their turn);
  - /later: 429 with `Retry-After: 3` once, then 200 (the retry waits >= 3 s);
  - /gone: 410 (the hook turns off at once and its creator gets a direct message);
  - /kill: 500 once, then the server is SIGKILLed while the retry waits; after a
    restart the delivery arrives, once.
A tampered body and an old timestamp are refused by the library.

Usage: python3 check_deliveries.py PATH_TO_PARLEY_BINARY [POSTGRES_ADMIN_URL]
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pysupport"))
from parley_api import Server, check, database_url, free_port, set_up_ada  # noqa: E402


class Receiver:
    """Every request received: (path, webhook-id, verified, answered status, time, body)."""

    def __init__(self):
        self.secrets = {}
        self.log = []
        self.lock = threading.Lock()
        self.failures_left = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def answer_for(self, path, msg_id):
        with self.lock:
            if path == "/flaky":
                left = self.failures_left.setdefault(msg_id, 3)
                if left > 0:
                    self.failures_left[msg_id] = left - 1
                    return 500, {}, b"try again"
            if path == "/later" and msg_id not in self.failures_left:
                self.failures_left[msg_id] = 0
                return 429, {"Retry-After": "3"}, b"slow down"
            if path == "/kill" and msg_id not in self.failures_left:
                self.failures_left[msg_id] = 0
                return 500, {}, b"not yet"
        if path == "/gone":
            return 410, {}, b"gone"
        if path == "/reply":
            return 200, {"content-type": "application/json"}, json.dumps(
                {"text": "pong *from* <javascript:alert(1)|the receiver> <b>bold</b>"}).encode()
        return 200, {}, b""

    def handle(self, req, body):
        path = req.path
        headers = {k: v for k, v in req.headers.items()}
        try:
            payload = Webhook(self.secrets[path]).verify(body, headers)
            verified = True
        except (WebhookVerificationError, KeyError):
            payload, verified = None, False
        status, extra, answer = self.answer_for(path, headers.get("webhook-id")) if verified else (400, {}, b"bad")
        with self.lock:
            self.log.append({"path": path, "id": headers.get("webhook-id"), "verified": verified, "status": status,
                             "at": time.time(), "payload": payload, "raw": body, "headers": headers})
        req.send_response(status)
        for k, v in extra.items():
            req.send_header(k, v)
        req.send_header("content-length", str(len(answer)))
        req.end_headers()
        req.wfile.write(answer)

    def entries(self, path):
        with self.lock:
            return [e for e in self.log if e["path"] == path]

    def wait_for(self, what, cond, timeout=40):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if cond():
                return
            time.sleep(0.1)
        raise AssertionError("timed out waiting for: " + what)


def main(binary, pg_admin=None):
    receiver = Receiver()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PARLEY_SERVER__BIND=f"127.0.0.1:{port}", PARLEY_SERVER__SITE_URL=base,
               PARLEY_SERVER__DATA_DIR=tempfile.mkdtemp(prefix="parley-webhooks-"), PARLEY_LOG__FILTER="warn",
               PARLEY_INTEGRATIONS__ALLOW_HOSTS='["127.0.0.1"]', PARLEY_INTEGRATIONS__WEBHOOK_RETRY_S="[1, 1, 1, 1, 1]",
               PARLEY_INTEGRATIONS__WEBHOOK_DISABLE_AFTER_FAILURES="50", PARLEY_JOBS__POLL_MS="50")
    db = database_url(pg_admin)
    if db:
        env["PARLEY_DATABASE__URL"] = db
    server = Server(binary, env).start()
    try:
        token = server.first_line_matching(r"setup\?token=(\S+)").group(1)
        ada, ws, general = set_up_ada(base, token)

        def hook(path, **extra):
            body = {"name": "hook " + path, "url": receiver.url(path), "events": ["message.created"],
                    "channel_id": general}
            body.update(extra)
            created = ada.call("POST", f"/api/v1/workspaces/{ws}/outgoing-hooks", body)
            check(created["secret"].startswith("whsec_"), f"{path}: the whsec_ secret is shown once")
            receiver.secrets[path] = created["secret"]
            return created

        def say(text):
            return ada.call("POST", f"/api/v1/channels/{general}/messages", {"text": text})

        # A reply, verified; tampering and an old timestamp are refused by the library.
        replying = hook("/reply", trigger_words=["ping"])
        say("hello there")
        say("ping now")
        receiver.wait_for("the /reply delivery", lambda: receiver.entries("/reply"))
        first = receiver.entries("/reply")[0]
        check(first["verified"], "the reference library verifies the signature")
        check(first["payload"]["type"] == "message.created" and first["payload"]["data"]["text"] == "ping now",
              "only the message starting with the trigger word is delivered, with the API's view")
        check(first["payload"]["version"] == 1 and "timestamp" in first["payload"], "the envelope is versioned")
        wh = Webhook(receiver.secrets["/reply"])
        tampered = first["raw"].replace(b"ping now", b"ping n0w")
        try:
            wh.verify(tampered, first["headers"])
            check(False, "a tampered body is refused")
        except WebhookVerificationError:
            check(True, "a tampered body is refused")
        old = dict(first["headers"], **{"webhook-timestamp": str(int(time.time()) - 3600)})
        try:
            wh.verify(first["raw"], old)
            check(False, "an old timestamp is refused")
        except WebhookVerificationError:
            check(True, "an old timestamp is refused")

        def history():
            return ada.call("GET", f"/api/v1/channels/{general}/messages?limit=50")["messages"]

        receiver.wait_for("the reply in the channel",
                          lambda: any(m.get("app", {}).get("name") == "hook /reply" for m in history()))
        reply = next(m for m in history() if m.get("app", {}).get("name") == "hook /reply")
        check("javascript:" not in reply["html"] and "<b>" not in reply["html"],
              "the receiver's reply is posted as the hook, sanitised")
        time.sleep(1.5)
        check(len(receiver.entries("/reply")) == 1, "the hook's own reply is not delivered back to it")
        ada.call("DELETE", f"/api/v1/outgoing-hooks/{replying['id']}")

        # 500 three times, then 200: one more success, same webhook-id; order kept.
        flaky = hook("/flaky")
        for i in range(3):
            say(f"flaky {i}")
        receiver.wait_for("three flaky deliveries", lambda: len([e for e in receiver.entries("/flaky")
                                                                 if e["status"] == 200]) == 3)
        entries = receiver.entries("/flaky")
        first_id = entries[0]["id"]
        same = [e for e in entries if e["id"] == first_id]
        check([e["status"] for e in same] == [500, 500, 500, 200],
              "the first delivery: three 500s then one 200, every attempt with the same webhook-id")
        ok = [e["payload"]["data"]["text"] for e in entries if e["status"] == 200]
        check(ok == ["flaky 0", "flaky 1", "flaky 2"], "deliveries of an ordered hook arrive in order")
        check(all(e["verified"] for e in entries), "every attempt verifies")
        log = ada.call("GET", f"/api/v1/outgoing-hooks/{flaky['id']}/deliveries")
        first_log = next(d for d in log if d["webhook_id"] == first_id)
        check(first_log["state"] == "delivered" and [a["status"] for a in first_log["attempt_log"]] == [500, 500, 500, 200],
              "the delivery log shows every attempt")
        again = ada.call("POST", f"/api/v1/outgoing-hooks/{flaky['id']}/deliveries/{first_log['id']}/redeliver")
        check(again["state"] == "pending", "a finished delivery can be redelivered")
        receiver.wait_for("the redelivery", lambda: len([e for e in receiver.entries("/flaky") if e["id"] == first_id]) == 5)
        check(receiver.entries("/flaky")[-1]["id"] == first_id, "a redelivery keeps the webhook-id")
        ada.call("DELETE", f"/api/v1/outgoing-hooks/{flaky['id']}")

        # Retry-After is honoured.
        later = hook("/later")
        say("later")
        receiver.wait_for("the retried /later delivery", lambda: len(receiver.entries("/later")) == 2)
        a, b = receiver.entries("/later")
        check(b["at"] - a["at"] >= 2.9, f"Retry-After: 3 is honoured (waited {b['at'] - a['at']:.1f} s)")
        ada.call("DELETE", f"/api/v1/outgoing-hooks/{later['id']}")

        # 410 turns the hook off and its creator hears of it.
        gone = hook("/gone")
        say("gone")
        receiver.wait_for("the /gone delivery", lambda: receiver.entries("/gone"))
        receiver.wait_for("the hook to turn off", lambda: not next(
            h for h in ada.call("GET", f"/api/v1/workspaces/{ws}/outgoing-hooks") if h["id"] == gone["id"])["enabled"])
        say("gone again")
        time.sleep(1.5)
        check(len(receiver.entries("/gone")) == 1, "a 410 turns the hook off: nothing more is sent")

        def told():
            for c in ada.call("GET", f"/api/v1/workspaces/{ws}/channels"):
                if c["kind"] == "direct":
                    msgs = ada.call("GET", f"/api/v1/channels/{c['id']}/messages?limit=5")["messages"]
                    if any("was turned off" in m["text"] for m in msgs):
                        return True
            return False
        receiver.wait_for("the direct message about it", told)
        check(True, "the hook's creator gets a direct message from the system bot")

        # SIGKILL while a retry waits: delivered once after the restart.
        env["PARLEY_INTEGRATIONS__WEBHOOK_RETRY_S"] = "[4, 1, 1]"
        server.kill()
        server = Server(binary, env).start()
        server.wait_healthy(base)
        hook("/kill")
        say("survive")
        receiver.wait_for("the first /kill attempt", lambda: receiver.entries("/kill"))
        server.kill()
        check(len(receiver.entries("/kill")) == 1, "the server is killed while the retry waits")
        server = Server(binary, env).start()
        server.wait_healthy(base)
        receiver.wait_for("the delivery after the restart", lambda: len(receiver.entries("/kill")) == 2)
        time.sleep(2)
        kills = receiver.entries("/kill")
        check([e["status"] for e in kills] == [500, 200] and kills[0]["id"] == kills[1]["id"],
              "after the restart it is delivered once, with the same webhook-id")
        print("all outgoing-webhook checks passed")
    finally:
        if server.proc.poll() is None:
            server.proc.terminate()
            server.proc.wait()
        if db:
            subprocess.run(["psql", pg_admin, "-q", "-c", f"DROP DATABASE IF EXISTS {db.rsplit('/', 1)[1]}"])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
