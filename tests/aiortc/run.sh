#!/usr/bin/env bash
# Runs the aiortc softphone tests (a WebRTC client from PyPI) against `callbridge demo`.
# Expects the binary to be built already (cargo build -p callbridge); CALLBRIDGE_BIN overrides
# its path (default target/debug/callbridge under the repository root). Builds nothing.
# VENV overrides the virtualenv location (default .venv-aiortc under the repository root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${VENV:-$root/.venv-aiortc}"

bin="${CALLBRIDGE_BIN:-target/debug/callbridge}"
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
if [ ! -x "$bin" ]; then
  echo "run.sh: binary $bin not found; build it first: cargo build -p callbridge" >&2
  exit 2
fi

# shellcheck source=tests/python-venv.sh
source "$here/../python-venv.sh"
python_venv "$venv" "$here/requirements.txt"

cd "$root"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$here" "$@"
