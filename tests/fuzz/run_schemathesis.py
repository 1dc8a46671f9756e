"""API fuzzing: schemathesis against Parley's own OpenAPI document, authenticated as the
instance administrator (so every operation, admin ones included, is reached), within a
time budget. Fails on any 5xx, any answer that does not match its documented schema,
status or content type, and any request over the response-time limit.

    python3 tests/fuzz/run_schemathesis.py target/debug/parley [seconds] [postgres-admin-url]

The server is a child process on a fresh data directory (and a fresh PostgreSQL
database when a URL is given); the account, workspace and channel the operations aim at
are made through the API first. Request limits are lifted: the fuzzer sends thousands of
requests a minute on one token.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "pysupport"))
from parley_api import Server, database_url, free_port, set_up_ada  # noqa: E402

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
])
# Operations left out, and why: signing out or revoking tokens would end the fuzzer's own
# credentials mid-run; setup answers once; the WebSocket needs an upgrade. Outgoing hooks
# and slash commands call the URLs they are given: generated URLs would send requests off
# this machine (tests/api covers those routes against a receiver on loopback).
EXCLUDED_PATHS = [
    "/api/v1/workspaces/{workspace_id}/outgoing-hooks",
    "/api/v1/outgoing-hooks/{hook_id}",
    "/api/v1/outgoing-hooks/{hook_id}/test",
    "/api/v1/outgoing-hooks/{hook_id}/deliveries/{delivery_id}/redeliver",
    "/api/v1/workspaces/{workspace_id}/slash-commands",
    "/api/v1/slash-commands/{command_id}",
    "/api/v1/auth/logout",
    "/api/v1/auth/logout-all",
    "/api/v1/me/password",
    "/api/v1/me/tokens/{token_id}",
    "/api/v1/admin/users/{user_id}/deactivate",
    "/api/v1/admin/users/{user_id}/role",
    "/api/v1/admin/users/{user_id}/tokens/{token_id}",
    "/api/v1/admin/users/{user_id}/sessions/{session_id}",
    "/api/v1/setup",
    "/api/v1/ws",
]


def main(binary, seconds="300", pg_admin=None):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data_dir = tempfile.mkdtemp(prefix="parley-fuzz-")
    env = dict(os.environ, PARLEY_SERVER__BIND=f"127.0.0.1:{port}", PARLEY_SERVER__SITE_URL=base,
               PARLEY_SERVER__DATA_DIR=data_dir, PARLEY_LOG__FILTER="error",
               PARLEY_SERVER__REQUESTS_PER_MINUTE_PER_CREDENTIAL="0",
               PARLEY_SERVER__REQUESTS_PER_MINUTE_PER_ADDRESS="0",
               PARLEY_AUTH__LOGIN_ATTEMPTS_PER_IP_PER_MINUTE="1000000",
               PARLEY_AUTH__LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE="1000000")
    db = database_url(pg_admin, "parley_fuzz_")
    if db:
        env["PARLEY_DATABASE__URL"] = db
    server = Server(binary, env).start()
    try:
        token = server.first_line_matching(r"setup\?token=(\S+)").group(1)
        server.wait_healthy(base)
        ada, ws, general = set_up_ada(base, token)
        ada.call("POST", f"/api/v1/channels/{general}/messages", {"text": "something to find"})
        command = ["schemathesis", "run", f"{base}/api/v1/openapi.json",
                   "--header", f"Authorization: Bearer {ada.token}",
                   "--checks", CHECKS,
                   "--max-time", str(seconds),
                   "--max-response-time", "5",
                   "--request-timeout", "10",
                   "--phases", "examples,coverage,fuzzing",
                   "--generation-allow-x00", "false",
                   "--workers", "2",
                   "--suppress-health-check", "all",
                   "--seed", os.environ.get("PARLEY_FUZZ_SEED", "20261208"),
                   "--no-color"]
        for path in EXCLUDED_PATHS:
            command += ["--exclude-path", path]
        print("fuzzing", base, "for at most", seconds, "s", "(PostgreSQL)" if db else "(SQLite)", flush=True)
        result = subprocess.run(command)
        if result.returncode != 0:
            raise SystemExit("schemathesis found problems (above)")
        print("schemathesis: no findings" + (" (PostgreSQL)" if db else " (SQLite)"))
    finally:
        server.proc.terminate()
        server.proc.wait()
        if db:
            subprocess.run(["psql", pg_admin, "-q", "-c", f"DROP DATABASE IF EXISTS {db.rsplit('/', 1)[1]}"])


if __name__ == "__main__":
    main(*sys.argv[1:])
