"""Runs `callbridge demo` for the aiortc softphone tests, and reads its banner as a person would.

The demo is started as a real process on 127.0.0.1 (web, sandbox and SIP on free ports) with a
fresh --data directory, and stopped by its process id. Ports are picked by binding port 0 and
closing it, so another process can take one before the demo binds it: the demo is then started
again on new ports (the failure says "Address already in use"), up to four times.

CALLBRIDGE_BIN overrides the binary; a relative path is taken from the repository root.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
READY_LINE = "Press Ctrl-C to stop."
ATTEMPTS = 4


def binary() -> Path:
    configured = Path(os.environ.get("CALLBRIDGE_BIN", "target/debug/callbridge"))
    path = configured if configured.is_absolute() else REPO_ROOT / configured
    if not path.is_file():
        pytest.exit(f"callbridge not found at {path}: build it or set CALLBRIDGE_BIN", returncode=2)
    return path


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Demo:
    binary: Path
    config: Path
    sip: str
    recordings: Path
    softphones: Dict[str, str]
    web: str
    passwords: Dict[str, str]
    instance: str
    ca_file: Path
    instance_admin: tuple
    instance_passwords: Dict[str, str]
    process: subprocess.Popen
    output: List[str] = field(default_factory=list)

    def softphone_url(self, agent: str) -> str:
        if agent not in self.softphones:
            raise KeyError(f"the banner printed no softphone connection for {agent}")
        return self.softphones[agent]

    def password(self, account: str) -> str:
        if account not in self.passwords:
            raise KeyError(f"the banner printed no password for account {account}")
        return self.passwords[account]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def parse_banner(text: str) -> dict:
    def one(pattern: str, what: str) -> str:
        found = re.search(pattern, text, re.MULTILINE)
        if not found:
            raise AssertionError(f"the demo banner has no {what}:\n{text}")
        return found.group(1)

    softphones = dict(
        re.findall(r"^\s+(\S+)\s+(ws://\S+/softphone\?ticket=\S+)\s*$", text, re.MULTILINE)
    )
    if not softphones:
        raise AssertionError(f"the demo banner lists no softphone connections:\n{text}")
    # "  account           alice.agent     password ...  (agent)": Callbridge's accounts (the
    # sandbox's users, printed above them as "  agent  alice.agent  password ...", are others).
    passwords = dict(
        re.findall(r"^\s+account\s+(\S+)\s+password\s+(\S+)\s+\(", text, re.MULTILINE)
    )
    # "  agent             alice.agent   password ...  (CSM agent role)": the sandbox's users.
    instance_passwords = dict(
        re.findall(r"^\s+agent\s+(\S+)\s+password\s+(\S+)\s+\(", text, re.MULTILINE)
    )
    admin = re.search(r"^\s+admin\s+(\S+) / (\S+)\s*$", text, re.MULTILINE)
    if not admin:
        raise AssertionError(f"the demo banner has no sandbox admin:\n{text}")
    return {
        "instance": one(r"^ServiceNow sandbox\s+(https://\S+)\s*$", "sandbox URL"),
        "ca_file": Path(one(r"^\s+CA certificate\s+(\S+)\s*$", "CA certificate")),
        "instance_admin": (admin.group(1), admin.group(2)),
        "instance_passwords": instance_passwords,
        "web": one(r"^Callbridge\s+(http://\S+)\s*$", "Callbridge URL"),
        "passwords": passwords,
        "config": Path(one(r"^\s+configuration\s+(\S+)\s*$", "configuration")),
        "sip": one(r"^\s+SIP trunk\s+(\S+) \(UDP and TCP\)", "SIP trunk"),
        "recordings": Path(one(r"^\s+recordings\s+(\S+)\s*$", "recordings directory")),
        "softphones": softphones,
    }


def start_once(data: Path) -> tuple:
    """(Demo, None) when it started; (None, output) when it did not."""
    command = [
        str(binary()),
        "demo",
        "--listen",
        f"127.0.0.1:{free_port()}",
        "--sandbox-listen",
        f"127.0.0.1:{free_port()}",
        "--sip-listen",
        f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}",
        "--data",
        str(data),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    lines: List[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if READY_LINE in line:
                ready.set()
        ready.set()  # the process ended: stop waiting

    threading.Thread(target=pump, daemon=True).start()
    ready.wait(STARTUP_TIMEOUT_S)
    text = "".join(lines)
    if READY_LINE not in text:
        process.kill()
        process.wait()
        return None, text
    return Demo(binary=binary(), process=process, output=lines, **parse_banner(text)), None


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Demo]:
    failure = ""
    for attempt in range(1, ATTEMPTS + 1):
        started, failure = start_once(tmp_path_factory.mktemp(f"demo{attempt}"))
        if started is not None:
            try:
                yield started
            finally:
                started.stop()
            return
        if "Address already in use" not in failure:
            break
        time.sleep(0.2)
    pytest.fail(f"callbridge demo did not start:\n{failure}")
