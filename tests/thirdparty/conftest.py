"""Fixtures that run the Callbridge ServiceNow sandbox for third-party client tests.

The sandbox binary is started as a real process on 127.0.0.1 with a fresh --data directory. Its
startup banner is parsed for the base URL, CA certificate, admin credentials, OAuth client and
demo agents. TLS is verified for real: REQUESTS_CA_BUNDLE points at a bundle holding the CA of
every sandbox this run started (requests lets that variable win over a session's own `verify`,
so one bundle is the only way to talk to more than one sandbox).

CALLBRIDGE_BIN overrides the binary; a relative path is taken from the repository root.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
READY_LINE = "Press Ctrl-C to stop."


def sandbox_binary() -> Path:
    configured = Path(os.environ.get("CALLBRIDGE_BIN", "target/debug/callbridge"))
    binary = configured if configured.is_absolute() else REPO_ROOT / configured
    if not binary.is_file():
        pytest.exit(
            f"sandbox binary not found at {binary}: build it (cargo build -p callbridge) "
            "or set CALLBRIDGE_BIN",
            returncode=2,
        )
    return binary


@dataclass
class Sandbox:
    """One running sandbox process and what its banner told us."""

    base_url: str
    ca_file: Path
    data_dir: Path
    admin_user: str
    admin_password: str
    client_id: str
    client_secret: str
    passwords: Dict[str, str]
    process: subprocess.Popen
    output: List[str] = field(default_factory=list)

    @property
    def admin(self) -> tuple:
        return (self.admin_user, self.admin_password)

    def password(self, user: str) -> str:
        """The demo account's own password, as the banner printed it (each account has its own)."""
        if user not in self.passwords:
            raise KeyError(f"the sandbox banner printed no password for {user}")
        return self.passwords[user]

    def url(self, path: str) -> str:
        return self.base_url + path

    def advance_clock(self, seconds: int) -> dict:
        """Moves the instance clock forward through the sandbox admin API."""
        response = requests.post(
            self.url("/api/x_cb_sandbox/clock"),
            auth=self.admin,
            json={"advance_seconds": seconds},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()["result"]

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)


def _field(pattern: str, text: str, what: str) -> re.Match:
    match = re.search(pattern, text, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"sandbox banner has no {what}:\n{text}")
    return match


def parse_banner(text: str) -> dict:
    admin = _field(r"^\s*admin:\s+(\S+) / (\S+)\s*$", text, "admin line")
    # "demo accounts (each its own password):" then one indented "<user>  <password>" line each.
    accounts = re.search(r"^\s*demo accounts.*:\s*\n((?:[ \t]+\S+[ \t]+\S+[ \t]*\n)+)", text, re.MULTILINE)
    passwords = {}
    if accounts:
        for line in accounts.group(1).splitlines():
            user, password = line.split()
            passwords[user] = password
    return {
        "base_url": _field(r"^\s*base URL:\s+(https://\S+)\s*$", text, "HTTPS base URL").group(1),
        "ca_file": Path(_field(r"^\s*CA certificate:\s+(\S+)\s*$", text, "CA certificate").group(1)),
        "data_dir": Path(_field(r"^\s*data directory:\s+(\S+)\s*$", text, "data directory").group(1)),
        "admin_user": admin.group(1),
        "admin_password": admin.group(2),
        "client_id": _field(r"^\s*OAuth client:\s+id (\S+)\s*$", text, "OAuth client id").group(1),
        "client_secret": _field(r"^\s*secret (\S+)\s*$", text, "OAuth client secret").group(1),
        "passwords": passwords,
    }


def start_sandbox(data_dir: Path, seed: str = "demo") -> Sandbox:
    data_dir.mkdir(parents=True, exist_ok=True)
    stderr_log = open(data_dir / "sandbox-stderr.log", "wb")
    process = subprocess.Popen(
        [str(sandbox_binary()), "sandbox", "--listen", "127.0.0.1:0", "--data", str(data_dir), "--seed", seed],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr_log,
        text=True,
        encoding="utf-8",
    )
    stderr_log.close()
    lines: List[str] = []
    ready = threading.Event()

    def pump() -> None:
        # Keeps reading after startup so the sandbox can never block on a full stdout pipe.
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.strip() == READY_LINE:
                ready.set()
        ready.set()

    threading.Thread(target=pump, name=f"sandbox-stdout-{process.pid}", daemon=True).start()
    if not ready.wait(STARTUP_TIMEOUT_S) or process.poll() is not None:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)
        stderr = (data_dir / "sandbox-stderr.log").read_text(errors="replace")
        raise RuntimeError(f"sandbox did not start:\nstdout:\n" + "\n".join(lines) + f"\nstderr:\n{stderr}")
    try:
        info = parse_banner("\n".join(lines))
    except Exception:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)
        raise
    return Sandbox(process=process, output=lines, **info)


@pytest.fixture(scope="session")
def start_trusted_sandbox(tmp_path_factory) -> Iterator[Callable[..., Sandbox]]:
    """Starts sandboxes whose CAs are all trusted through REQUESTS_CA_BUNDLE; stops them at the end."""
    bundle = tmp_path_factory.mktemp("ca") / "trusted-sandboxes.pem"
    bundle.write_text("")
    previous = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = str(bundle)
    started: List[Sandbox] = []

    def start(seed: str = "demo") -> Sandbox:
        sandbox = start_sandbox(tmp_path_factory.mktemp("sandbox-data"), seed=seed)
        started.append(sandbox)
        with open(bundle, "a", encoding="ascii") as out:
            out.write(sandbox.ca_file.read_text(encoding="ascii").strip() + "\n")
        return sandbox

    try:
        yield start
    finally:
        for sandbox in started:
            sandbox.stop()
        if previous is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = previous


@pytest.fixture(scope="session")
def sandbox(start_trusted_sandbox) -> Sandbox:
    """The sandbox shared by the session: demo seed. Tests must not move its clock."""
    return start_trusted_sandbox("demo")


@pytest.fixture
def private_sandbox(start_trusted_sandbox) -> Iterator[Sandbox]:
    """A sandbox of its own, for tests that move the instance clock."""
    sandbox = start_trusted_sandbox("demo")
    yield sandbox
    sandbox.stop()
