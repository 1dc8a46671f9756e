"""What the Python checks share: a free port, Parley's REST API with a bearer token,
printing checks, and the first person (Ada) set up through the server's setup link."""
import json
import socket
import urllib.request

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
    login = urllib.request.Request(base + "/api/v1/auth/login", method="POST",
                                   data=json.dumps({"email": "ada@acme.test", "password": PASSWORD}).encode(),
                                   headers={"content-type": "application/json"})
    cookie = urllib.request.urlopen(login).headers["set-cookie"].split(";")[0]
    req = urllib.request.Request(base + "/api/v1/me/tokens", method="POST", data=b'{"name":"checks"}',
                                 headers={"content-type": "application/json", "cookie": cookie, "origin": base})
    ada = Api(base, json.loads(urllib.request.urlopen(req).read())["token"])
    ws = ada.call("GET", "/api/v1/workspaces")[0]["id"]
    general = next(c for c in ada.call("GET", f"/api/v1/workspaces/{ws}/channels") if c["name"] == "general")["id"]
    return ada, ws, general
