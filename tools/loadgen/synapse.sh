#!/usr/bin/env bash
# Install (once) and start matrix-synapse on 127.0.0.1:PORT for side-by-side benchmarks.
#
#   tools/loadgen/synapse.sh DIR [PORT]
#
# DIR holds the venv, config, database and logs (keep it outside the repo). Prints
# SYNAPSE_PID=<pid> once the client API answers; the PID is also in DIR/synapse.pid.
# Stop it with: kill "$(cat DIR/synapse.pid)"
# Env: PYTHON (interpreter for the venv, default python3), SYNAPSE_VERSION (pin, optional).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 DIR [PORT]" >&2
  exit 2
fi
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
PORT=${2:-8008}
PY="$DIR/venv/bin/python"
URL="http://127.0.0.1:$PORT/_matrix/client/versions"

# Already running from this DIR? Then reuse it (two servers on one sqlite file would clash).
pid=$(cat "$DIR/synapse.pid" 2>/dev/null || true)
if [[ -n "$pid" ]] && grep -qs synapse.app.homeserver "/proc/$pid/cmdline"; then
  if curl -fs -o /dev/null "$URL"; then
    echo "SYNAPSE_PID=$pid"
    exit 0
  fi
  echo "synapse from $DIR is already running (PID $pid) but not answering on port $PORT" >&2
  exit 1
fi
# Otherwise the readiness poll below could be answered by someone else's server.
if curl -s -o /dev/null "$URL"; then
  echo "something already answers on port $PORT" >&2
  exit 1
fi

if ! [[ -x "$PY" ]] || ! "$PY" -c 'import synapse' 2>/dev/null; then
  "${PYTHON:-python3}" -m venv "$DIR/venv"
  "$PY" -m pip install -q "matrix-synapse${SYNAPSE_VERSION:+==$SYNAPSE_VERSION}"
fi

if [[ ! -f "$DIR/homeserver.yaml" ]]; then
  (cd "$DIR" && "$PY" -m synapse.app.homeserver --server-name bench.local \
    --config-path homeserver.yaml --generate-config --report-stats=no >/dev/null)
fi

# Rewritten on every run, so a new PORT takes effect.
"$PY" - "$DIR" "$PORT" <<'EOF'
import sys, yaml
d, port = sys.argv[1], int(sys.argv[2])
path = f"{d}/homeserver.yaml"
with open(path) as f:
    c = yaml.safe_load(f)

c["listeners"] = [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http",
                   "tls": False, "x_forwarded": False,
                   "resources": [{"names": ["client"], "compress": False}]}]
c["database"] = {"name": "sqlite3", "args": {"database": f"{d}/homeserver.db"}}
c.update(federation_domain_whitelist=[], trusted_key_servers=[],
         suppress_key_server_warning=True, enable_registration=True,
         enable_registration_without_verification=True, presence={"enabled": False})

# The defaults (e.g. 0.2 messages/s, burst 10) throttle any benchmark at once.
big = {"per_second": 100000, "burst_count": 100000}
# Keys as read by synapse/config/ratelimiting.py in 1.163.
for key in ["rc_message", "rc_registration", "rc_registration_token_validity",
            "rc_room_creation", "rc_joins_per_room", "rc_3pid_validation",
            "rc_admin_redaction", "rc_key_requests", "rc_third_party_invite",
            "rc_media_create", "rc_delayed_event_mgmt", "rc_reports",
            "rc_user_directory", "rc_profile"]:
    c[key] = dict(big)
c["rc_joins"] = {"local": dict(big), "remote": dict(big)}
c["rc_invites"] = {k: dict(big) for k in ("per_room", "per_user", "per_issuer")}
c["rc_login"] = {k: dict(big) for k in ("address", "account", "failed_attempts")}
c["rc_presence"] = {"per_user": dict(big)}
# Unlike the others, rc_federation is unpacked into a fixed set of arguments.
c["rc_federation"] = {"window_size": 1000, "sleep_limit": 100000, "sleep_delay": 1,
                      "reject_limit": 100000, "concurrent": 100000}
with open(path, "w") as f:
    yaml.safe_dump(c, f, sort_keys=False)

# WARNING and above only, to DIR/homeserver.log (the generated config logs INFO).
with open(c["log_config"]) as f:
    log = yaml.safe_load(f)
for h in log.get("handlers", {}).values():
    if "filename" in h:
        h["filename"] = f"{d}/homeserver.log"
for lg in [log.get("root", {}), *log.get("loggers", {}).values()]:
    lg["level"] = "WARNING"
with open(c["log_config"], "w") as f:
    yaml.safe_dump(log, f, sort_keys=False)
EOF

"$PY" -m synapse.app.homeserver -c "$DIR/homeserver.yaml" </dev/null >"$DIR/synapse.out" 2>&1 &
pid=$!
echo "$pid" >"$DIR/synapse.pid"

for _ in $(seq 120); do
  if curl -fs -o /dev/null "$URL"; then
    echo "SYNAPSE_PID=$pid"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "synapse exited during startup; last lines of $DIR/synapse.out:" >&2
    tail -n 20 "$DIR/synapse.out" >&2
    exit 1
  fi
  sleep 0.5
done
echo "synapse did not answer $URL within 60 s; see $DIR/synapse.out" >&2
kill "$pid" 2>/dev/null || true
exit 1
