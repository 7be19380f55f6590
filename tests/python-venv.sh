# Sourced by the Python-driven test runners (tests/thirdparty, tests/thirdparty/schemathesis,
# tests/aiortc): `python_venv VENV REQUIREMENTS` makes the virtualenv VENV with PYTHON (default
# python3) when it is missing, and installs REQUIREMENTS into it only when that file changed
# since the last successful install, so a second run installs nothing.
python_venv() {
  local venv="$1" requirements="$2"
  if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
  fi
  local stamp="$venv/.requirements.sha256" want
  want="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$requirements"
    echo "$want" > "$stamp"
  fi
}
