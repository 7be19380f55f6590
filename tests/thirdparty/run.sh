#!/usr/bin/env bash
# Runs the third-party ServiceNow client tests (PySNC from PyPI) against the sandbox binary.
# Expects the binary to be built already (cargo build -p callbridge); CALLBRIDGE_BIN overrides
# its path (default target/debug/callbridge under the repository root). Builds nothing.
# VENV overrides the virtualenv location (default .venv-thirdparty under the repository root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${VENV:-$root/.venv-thirdparty}"

bin="${CALLBRIDGE_BIN:-target/debug/callbridge}"
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
if [ ! -x "$bin" ]; then
  echo "run.sh: sandbox binary $bin not found; build it first: cargo build -p callbridge" >&2
  exit 2
fi

# shellcheck source=tests/python-venv.sh
source "$here/../python-venv.sh"
python_venv "$venv" "$here/requirements.txt"

cd "$root"
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$here" "$@"
