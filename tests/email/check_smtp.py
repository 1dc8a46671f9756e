"""E-mail through a real SMTP server (maildev, which keeps what it receives and shows it
over HTTP), from outside: the binary is started with `email.backend = "smtp"`.

  - An offline person who is mentioned gets one mail, with the headers mail clients
    use (List-Unsubscribe with one-click, Auto-Submitted, Message-ID, From's name).
  - SMTP down for a few seconds: the mails wait and retry; when it is back each one
    arrives exactly once.
  - SMTP down for longer than the attempts allow: the mail is parked (visible to an
    instance admin); after a retry from the admin API it arrives, once.
  - The server SIGKILLed while a digest waits for its delay: after a restart the mail
    arrives, once.

Usage: python3 check_smtp.py PATH_TO_PARLEY_BINARY PATH_TO_MAILDEV [POSTGRES_ADMIN_URL]
"""
import email
import email.policy
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pysupport"))
from parley_api import PASSWORD, Api, Server, check, database_url, free_port, set_up_ada, wait_until  # noqa: E402

MAX_ATTEMPTS = 4


class Maildev:
    def __init__(self, binary):
        self.binary, self.proc = binary, None
        self.smtp, self.web = free_port(), free_port()

    def start(self):
        self.proc = subprocess.Popen([self.binary, "--ip", "127.0.0.1", "--smtp", str(self.smtp),
                                      "--web-ip", "127.0.0.1", "--web", str(self.web)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until("maildev", self.healthy, timeout=60)
        return self

    def healthy(self):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.web}/api/healthz", timeout=1)
            return True
        except OSError:
            return False

    def stop(self):
        self.proc.terminate()
        self.proc.wait()

    def mails(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.web}/api/email") as r:
            return json.loads(r.read())

    def headers_of(self, mail):
        """The headers of the message as received (its source, parsed by Python's email)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.web}/api/email/{mail['id']}/source") as r:
            parsed = email.message_from_bytes(r.read(), policy=email.policy.default)
        return {k.lower(): str(v) for k, v in parsed.items()}

    def to(self, address):
        return [m for m in self.mails() if any(t["address"] == address for t in m["to"])]


def join(base, ada, ws, username):
    token = ada.call("POST", f"/api/v1/workspaces/{ws}/invites", {"role": "member"})["token"]
    Api(base).call("POST", "/api/v1/auth/signup", {"invite_token": token, "email": f"{username}@acme.test",
                                                   "display_name": username.title(), "username": username,
                                                   "password": PASSWORD})


def main(binary, maildev_bin, pg_admin=None):
    maildev = Maildev(maildev_bin).start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PARLEY_SERVER__BIND=f"127.0.0.1:{port}", PARLEY_SERVER__SITE_URL=base,
               PARLEY_SERVER__DATA_DIR=tempfile.mkdtemp(prefix="parley-smtp-"), PARLEY_LOG__FILTER="warn",
               PARLEY_EMAIL__BACKEND="smtp", PARLEY_EMAIL__SMTP__HOST="127.0.0.1",
               PARLEY_EMAIL__SMTP__PORT=str(maildev.smtp), PARLEY_EMAIL__SMTP__SECURITY="none",
               PARLEY_EMAIL__SMTP__TIMEOUT_S="3", PARLEY_EMAIL__DELAY_MINUTES="0.02",
               PARLEY_EMAIL__WINDOW_MINUTES="0", PARLEY_EMAIL__MAX_ATTEMPTS=str(MAX_ATTEMPTS),
               PARLEY_EMAIL__FROM_NAME="Acme Chat", PARLEY_EMAIL__FROM_ADDRESS="chat@acme.test",
               PARLEY_JOBS__POLL_MS="50", PARLEY_JOBS__BACKOFF_BASE_S="1", PARLEY_JOBS__BACKOFF_MAX_S="1")
    db = database_url(pg_admin, "parley_smtp_")
    if db:
        env["PARLEY_DATABASE__URL"] = db
    server = Server(binary, env).start()
    try:
        token = server.first_line_matching(r"setup\?token=(\S+)").group(1)
        ada, ws, general = set_up_ada(base, token)
        for name in ["bob", "carol", "dave", "erin", "frank"]:
            join(base, ada, ws, name)

        def mention(who, text):
            ada.call("POST", f"/api/v1/channels/{general}/messages", {"text": f"@{who} {text}"})

        def mail_states():
            return [m["state"] for m in ada.call("GET", "/api/v1/admin/mail")["mails"]]

        # One mention, one mail, with the headers mail clients use.
        mention("bob", "the quarterly numbers are in")
        wait_until("bob's mail", lambda: maildev.to("bob@acme.test"))
        mail = maildev.to("bob@acme.test")[0]
        headers = maildev.headers_of(mail)
        check(mail["subject"] == "1 new message from Ada in Acme", "the subject names the sender and workspace")
        check(mail["from"][0] == {"address": "chat@acme.test", "name": "Acme Chat"}, "From has the configured name")
        check(headers.get("list-unsubscribe-post") == "List-Unsubscribe=One-Click", "RFC 8058 one-click header")
        check(headers.get("list-unsubscribe", "").startswith(f"<{base}/email/unsubscribe?t="), "List-Unsubscribe")
        check(headers.get("auto-submitted") == "auto-generated", "Auto-Submitted")
        check(headers.get("message-id", "").endswith("@127.0.0.1>"), "a Message-ID of the site's host")
        check("the quarterly numbers are in" in mail["text"] and "the quarterly numbers are in" in mail["html"],
              "the message is in the text and the HTML part")
        time.sleep(2)
        check(len(maildev.to("bob@acme.test")) == 1, "exactly one mail")

        # SMTP away for a few seconds: the mails wait, retry, and arrive once each.
        maildev.stop()
        mention("carol", "are you coming?")
        mention("dave", "are you coming too?")
        wait_until("failed attempts", lambda: any(m["attempts"] >= 1 and m["state"] == "pending" and m["last_error"]
                                                  for m in ada.call("GET", "/api/v1/admin/mail")["mails"]))
        maildev.start()
        wait_until("both mails after SMTP returned",
                   lambda: maildev.to("carol@acme.test") and maildev.to("dave@acme.test"))
        wait_until("every mail marked sent", lambda: mail_states() == ["sent"] * 3)
        time.sleep(3)
        check(len(maildev.to("carol@acme.test")) == 1 and len(maildev.to("dave@acme.test")) == 1,
              "after an outage each mail arrives exactly once")
        mail_dep = next(d for d in ada.call("GET", "/api/v1/admin/system")["dependencies"] if d["role"] == "mail")
        check(mail_dep["ok"] and (mail_dep.get("last_failure") or {}).get("error"),
              f"the system page answers 'up' and still shows the outage's last error: {mail_dep}")

        # SMTP away for longer than the attempts allow: parked, then retried by an admin.
        maildev.stop()
        mention("erin", "the contract needs your signature")
        wait_until("the parked mail", lambda: ada.call("GET", "/api/v1/admin/mail?state=parked")["mails"], timeout=90)
        parked = ada.call("GET", "/api/v1/admin/mail?state=parked")["mails"][0]
        check(parked["attempts"] == MAX_ATTEMPTS and parked["to"] == "erin@acme.test",
              f"parked after {MAX_ATTEMPTS} attempts, visible to an instance admin")
        maildev.start()
        time.sleep(3)
        check(not maildev.to("erin@acme.test"), "a parked mail waits for an admin")
        ada.call("POST", f"/api/v1/admin/mail/{parked['id']}/retry")
        wait_until("erin's mail after the retry", lambda: maildev.to("erin@acme.test"))
        wait_until("erin's mail marked sent", lambda: mail_states() == ["sent"] * 4)
        time.sleep(2)
        check(len(maildev.to("erin@acme.test")) == 1, "the retried mail arrives once")

        # SIGKILL while a digest waits for its delay: after a restart it goes out, once.
        mention("frank", "the server restarts now")
        time.sleep(0.3)
        server.kill()
        server = Server(binary, env).start()
        server.wait_healthy(base)
        wait_until("frank's mail after the restart", lambda: maildev.to("frank@acme.test"), timeout=60)
        wait_until("frank's mail marked sent", lambda: mail_states() == ["sent"] * 5)
        time.sleep(2)
        check(len(maildev.to("frank@acme.test")) == 1, "a digest pending at a SIGKILL is mailed once after the restart")
        print("all SMTP checks passed" + (" (PostgreSQL)" if db else " (SQLite)"))
    finally:
        server.kill()
        if maildev.proc and maildev.proc.poll() is None:
            maildev.stop()
        if db:
            subprocess.run(["psql", pg_admin, "-q", "-c", f"DROP DATABASE IF EXISTS {db.rsplit('/', 1)[1]}"])


if __name__ == "__main__":
    main(*sys.argv[1:])
