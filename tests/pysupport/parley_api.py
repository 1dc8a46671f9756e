"""What the Python checks share: a free port, Parley's REST API with a bearer token,
printing checks, the first person (Ada) set up through the server's setup link, the
server binary as a child process, and a fresh PostgreSQL database."""
import json
import re
import signal
import socket
import subprocess
import time
import urllib.request
import uuid

PASSWORD = "correct horse battery staple"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """Parley's REST API with a bearer token."""

    def __init__(self, base, token=None):
        self.base, self.token = base, token

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        if self.token:
            req.add_header("authorization", "Bearer " + self.token)
        with urllib.request.urlopen(req) as r:
            text = r.read().decode()
            return json.loads(text) if text else None


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what)


def set_up_ada(base, setup_token):
    """Finishes first-run setup (workspace Acme, admin Ada) and returns Ada's API with a
    personal token: (api, workspace id, #general's id)."""
    Api(base).call("POST", "/api/v1/setup", {"token": setup_token, "workspace_name": "Acme", "display_name": "Ada",
                                           "email": "ada@acme.test", "username": "ada", "password": PASSWORD})
    ada = Api(base, ada_tokens(base, 1)[0])
    ws = ada.call("GET", "/api/v1/workspaces")[0]["id"]
    general = next(c for c in ada.call("GET", f"/api/v1/workspaces/{ws}/channels") if c["name"] == "general")["id"]
    return ada, ws, general


def ada_tokens(base, n):
    """Signs Ada in and makes `n` personal tokens of hers (each has a request budget of
    its own, as each device of a person does)."""
    login = urllib.request.Request(base + "/api/v1/auth/login", method="POST",
                                   data=json.dumps({"email": "ada@acme.test", "password": PASSWORD}).encode(),
                                   headers={"content-type": "application/json"})
    cookie = urllib.request.urlopen(login).headers["set-cookie"].split(";")[0]
    tokens = []
    for i in range(n):
        req = urllib.request.Request(base + "/api/v1/me/tokens", method="POST",
                                     data=json.dumps({"name": f"checks {i}"}).encode(),
                                     headers={"content-type": "application/json", "cookie": cookie, "origin": base})
        tokens.append(json.loads(urllib.request.urlopen(req).read())["token"])
    return tokens


class Server:
    """`parley serve` as a child process, with `env` as its whole environment."""

    def __init__(self, binary, env):
        self.binary, self.env, self.proc = binary, env, None

    def start(self):
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, stdout=subprocess.PIPE, text=True)
        return self

    def first_line_matching(self, pattern, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.proc.stdout.readline())
            if m:
                return m
        raise AssertionError("the server never printed " + pattern)

    def wait_healthy(self, base):
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("the server did not come back")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def database_url(pg_admin, prefix="parley_check_"):
    """A new, empty database on the PostgreSQL server `pg_admin` points at (None without one)."""
    if not pg_admin:
        return None
    name = prefix + uuid.uuid4().hex[:12]
    subprocess.run(["psql", pg_admin, "-q", "-c", f"CREATE DATABASE {name}"], check=True)
    return pg_admin.rsplit("/", 1)[0] + "/" + name


def wait_until(what, cond, timeout=40):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for: " + what)
