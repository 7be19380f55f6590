#!/usr/bin/env bash
# Tests the real server against its own call-events OpenAPI file with schemathesis (from PyPI):
# generated valid and invalid events, every one signed by hooks.py, every answer checked against
# the documented statuses and schemas. Starts `callbridge serve` on loopback with a throwaway
# database and stops it afterwards. Bounded by SCHEMATHESIS_SECONDS (default 120).
# Expects the binary to be built already (cargo build -p callbridge); CALLBRIDGE_BIN overrides
# its path. VENV overrides the virtualenv (default .venv-schemathesis under the repository root).
# First, every file in docs/openapi/ must load and resolve (check_openapi.py).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="${VENV:-$root/.venv-schemathesis}"
seconds="${SCHEMATHESIS_SECONDS:-120}"

bin="${CALLBRIDGE_BIN:-target/debug/callbridge}"
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
if [ ! -x "$bin" ]; then
  echo "run.sh: binary $bin not found; build it first: cargo build -p callbridge" >&2
  exit 2
fi

# shellcheck source=tests/python-venv.sh
source "$here/../../python-venv.sh"
python_venv "$venv" "$here/requirements.txt"

# Every OpenAPI file we publish must load in a third-party tool, every $ref resolving.
"$venv/bin/python" "$here/check_openapi.py" "$root"/docs/openapi/*.yaml

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export CALLBRIDGE_EVENTS_SECRET="schemathesis-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
umask 077
cat > "$work/callbridge.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
database_url = "sqlite://$work/callbridge.db"
master_key = "$(head -c 32 /dev/urandom | base64)"

[[tenant]]
id = "demo"
default_region = "JP"
call_events_secret = { env = "CALLBRIDGE_EVENTS_SECRET" }

# Never reached: no agent is linked, so no event leads to a CRM request.
[tenant.servicenow]
instance_url = "http://127.0.0.1:9"
client_id = "schemathesis"
client_secret = "schemathesis"
TOML

"$bin" serve --config "$work/callbridge.toml" > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  if grep -q "Callbridge listening" "$work/server.log"; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "run.sh: the server did not start:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.1
done

cd "$here"
status=0
SCHEMATHESIS_HOOKS=hooks "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run \
  "$root/docs/openapi/call-events.yaml" \
  --url "http://127.0.0.1:$port" \
  --checks all \
  --max-time "$seconds" \
  --workers 2 \
  --suppress-health-check too_slow \
  "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: server log:" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
