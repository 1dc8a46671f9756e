"""Nothing acknowledged is lost when the server is SIGKILLed mid-burst, from outside.

Twenty posting clients write into ten channels as fast as the server answers (so on
SQLite most posts commit in groups), and the server is SIGKILLed at a random moment,
three times. After each restart:

  - every message that was answered 201 is stored exactly once, with the seq it was
    answered with;
  - every channel's seqs are exactly 1..last_seq (no gap, no duplicate);
  - a post that was in flight at the kill, resent with its client_msg_id, is stored once
    (answered 200 if it had committed, 201 if not);
  - the search index catches up: the last acknowledged post of every poster (whose
    index job was pending at the kill) is found by search.

Usage: python3 check_acknowledged.py PATH_TO_PARLEY_BINARY [POSTGRES_ADMIN_URL]
"""
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pysupport"))
from parley_api import Server, ada_tokens, check, database_url, free_port, set_up_ada, wait_until  # noqa: E402

POSTERS = 20
CHANNELS = 10
KILLS = 3


class Poster(threading.Thread):
    """Posts into one channel until told to stop; remembers what was acknowledged and
    what was in flight when the connection broke."""

    def __init__(self, port, token, channel, name):
        super().__init__(daemon=True)
        self.port, self.token, self.channel, self.name = port, token, channel, name
        self.acked = {}        # client_msg_id -> (id, seq)
        self.unknown = []      # client_msg_ids sent without an answer
        self.stop = threading.Event()
        self.n = 0

    def post(self, conn, cmid):
        body = json.dumps({"text": f"{self.name} says {word(cmid)}", "client_msg_id": cmid})
        conn.request("POST", f"/api/v1/channels/{self.channel}/messages", body=body,
                     headers={"authorization": "Bearer " + self.token, "content-type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stop.is_set():
            self.n += 1
            cmid = f"{self.name}-{self.n}"
            try:
                status, body = self.post(conn, cmid)
            except (OSError, http.client.HTTPException):
                self.unknown.append(cmid)
                return
            if status != 201:
                raise AssertionError(f"post answered {status}: {body}")
            self.acked[cmid] = (body["id"], body["seq"])


def history(ada, channel):
    out, after = [], 0
    while True:
        page = ada.call("GET", f"/api/v1/channels/{channel}/messages?after={after}&limit=200")["messages"]
        if not page:
            return out
        out.extend(page)
        after = page[-1]["seq"]


def main(binary, pg_admin=None):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PARLEY_SERVER__BIND=f"127.0.0.1:{port}", PARLEY_SERVER__SITE_URL=base,
               PARLEY_SERVER__DATA_DIR=tempfile.mkdtemp(prefix="parley-crash-"), PARLEY_LOG__FILTER="warn",
               PARLEY_JOBS__POLL_MS="50", PARLEY_JOBS__LEASE_S="5")
    db = database_url(pg_admin, "parley_crash_")
    if db:
        env["PARLEY_DATABASE__URL"] = db
    server = Server(binary, env).start()
    rng = random.Random()
    try:
        token = server.first_line_matching(r"setup\?token=(\S+)").group(1)
        ada, ws, _ = set_up_ada(base, token)
        channels = [ada.call("POST", f"/api/v1/workspaces/{ws}/channels", {"name": f"burst-{i}"})["id"]
                    for i in range(CHANNELS)]
        # A token per poster: like twenty devices, each within its own request budget.
        tokens = ada_tokens(base, POSTERS)
        acked = {}      # client_msg_id -> (channel, id, seq)
        last_acked = []
        for round_no in range(KILLS):
            posters = [Poster(port, tokens[i], channels[i % CHANNELS], f"r{round_no}p{i}") for i in range(POSTERS)]
            for p in posters:
                p.start()
            time.sleep(rng.uniform(0.5, 2.5))
            server.kill()
            for p in posters:
                p.join(timeout=30)
            answered = sum(len(p.acked) for p in posters)
            check(answered > 0, f"round {round_no + 1}: {answered} posts acknowledged before the SIGKILL")
            server = Server(binary, env).start()
            server.wait_healthy(base)
            unknown = [(p, cmid) for p in posters for cmid in p.unknown]
            for p in posters:
                acked.update({cmid: (p.channel, mid, seq) for cmid, (mid, seq) in p.acked.items()})
                last_acked.extend(list(p.acked)[-1:])
            # In flight at the kill: resent, each is stored once whichever way it went.
            for p, cmid in unknown:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, body = p.post(conn, cmid)
                check(status in (200, 201), f"the in-flight post {cmid} resent is answered {status}")
                acked[cmid] = (p.channel, body["id"], body["seq"])
            verify(ada, channels, acked, round_no + 1)
        for cmid in last_acked:
            _, mid, _ = acked[cmid]
            wait_until(f"search to find {cmid}", lambda: mid in found(ada, ws, cmid), timeout=120)
        check(True, f"search finds the last acknowledged post of each of {len(last_acked)} posters")
        print("all crash checks passed" + (" (PostgreSQL)" if db else " (SQLite)"))
    finally:
        server.kill()
        if db:
            subprocess.run(["psql", pg_admin, "-q", "-c", f"DROP DATABASE IF EXISTS {db.rsplit('/', 1)[1]}"])


def verify(ada, channels, acked, round_no):
    stored = {}
    for channel in channels:
        msgs = history(ada, channel)
        seqs = [m["seq"] for m in msgs]
        check(seqs == list(range(1, len(seqs) + 1)), f"round {round_no}: channel seqs are 1..{len(seqs)}, gapless")
        for m in msgs:
            if m["client_msg_id"] in stored:
                raise AssertionError(f"{m['client_msg_id']} is stored twice")
            stored[m["client_msg_id"]] = (channel, m["id"], m["seq"])
    check(True, f"round {round_no}: each of {len(stored)} posts is stored once")
    lost = [cmid for cmid, want in acked.items() if stored.get(cmid) != want]
    check(not lost, f"round {round_no}: all {len(acked)} acknowledged posts are stored as answered (lost: {lost[:5]})")
    check(len(stored) == len(acked), f"round {round_no}: nothing stored that was not acknowledged or resent")


def word(cmid):
    """A word of its own for each post, so search can find exactly that one."""
    return "w" + cmid.replace("-", "x") + "q"  # no word is a part of another


def found(ada, ws, cmid):
    q = urllib.parse.quote(word(cmid))
    return [r["message"]["id"] for r in ada.call("GET", f"/api/v1/search?q={q}&workspace_id={ws}")["results"]]


if __name__ == "__main__":
    main(*sys.argv[1:])
