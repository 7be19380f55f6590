"""A softphone written by someone else: aiortc (a WebRTC stack from PyPI) speaks the softphone
protocol against `callbridge demo`, knowing only what the README, the demo's banner and
docs/softphone-protocol.md (with its JSON Schema) say.

Each test connects as an agent with the WebSocket URL the banner prints, brings the audio session
up with aiortc's own SDP offer, and takes a customer call placed by `callbridge demo call` (which
plays a 440 Hz tone once answered). The agent's side sends a 1 kHz tone. What is checked:

- every message the server sends validates against `#/$defs/server_message`, in the order the
  protocol document gives;
- audio flows both ways: aiortc hears the customer's 440 Hz tone, and the call's stereo WAV holds
  the customer's tone on the left channel and the agent's 1 kHz tone on the right;
- an offer without PCMU is answered with an `error` and no `media_answer`;
- a call survives a lost softphone: the next connection gets `call_snapshot`, brings its audio
  back with a new RTCPeerConnection, and hears the customer again;
- the browser's way in (docs/web-api.md): a session cookie and an allowed `Origin` instead of a
  ticket; a foreign `Origin` gets 403 and no `Origin` 401; signing out closes the socket with
  `4401` `signed_out`.
"""

from __future__ import annotations

import array
import asyncio
import fractions
import json
import math
import time
import urllib.error
import urllib.request
import wave
from pathlib import Path
from typing import List, Optional

import jsonschema
import pytest
import websockets
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from av import AudioFrame

from conftest import REPO_ROOT, Demo

SCHEMA = json.loads((REPO_ROOT / "docs" / "softphone-protocol.schema.json").read_text())
SERVER_MESSAGE = jsonschema.Draft202012Validator(
    {"$ref": "#/$defs/server_message", "$defs": SCHEMA["$defs"]}
)
CLIENT_MESSAGE = jsonschema.Draft202012Validator(
    {"$ref": "#/$defs/client_message", "$defs": SCHEMA["$defs"]}
)

CUSTOMER = "+819012345678"  # Haruto Tanaka's mobile, seeded in the demo
CUSTOMER_TONE_HZ = 440.0  # what `callbridge demo call` plays once answered
AGENT_TONE_HZ = 1000.0  # what the aiortc softphone sends
MESSAGE_TIMEOUT_S = 20.0


class Tone(MediaStreamTrack):
    """A sine tone at 48 kHz mono, paced in real time, as a microphone would be."""

    kind = "audio"
    RATE = 48000
    SAMPLES = 960  # 20 ms

    def __init__(self, hz: float) -> None:
        super().__init__()
        self.hz = hz
        self.pts = 0
        self.started: Optional[float] = None

    async def recv(self) -> AudioFrame:
        if self.started is None:
            self.started = time.monotonic()
        due = self.started + self.pts / self.RATE - time.monotonic()
        if due > 0:
            await asyncio.sleep(due)
        samples = array.array(
            "h",
            (
                int(8000 * math.sin(2 * math.pi * self.hz * (self.pts + i) / self.RATE))
                for i in range(self.SAMPLES)
            ),
        )
        frame = AudioFrame(format="s16", layout="mono", samples=self.SAMPLES)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = self.RATE
        frame.pts = self.pts
        frame.time_base = fractions.Fraction(1, self.RATE)
        self.pts += self.SAMPLES
        return frame


def tone_power(samples: List[int], rate: int, hz: float) -> float:
    """Goertzel: the power of one frequency in a block of samples."""
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def dominant(samples: List[int], rate: int) -> float:
    """Which of the two tones is louder in `samples` (and by how much it must win: 10x)."""
    customer = tone_power(samples, rate, CUSTOMER_TONE_HZ)
    agent = tone_power(samples, rate, AGENT_TONE_HZ)
    if customer > 10 * agent:
        return CUSTOMER_TONE_HZ
    if agent > 10 * customer:
        return AGENT_TONE_HZ
    return 0.0


class Heard:
    """The audio aiortc receives from the server: decoded samples, with the time of each frame."""

    def __init__(self) -> None:
        self.samples: List[int] = []
        self.rate = 0
        self.frames = 0

    def attach(self, pc: RTCPeerConnection) -> None:
        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            async def pull() -> None:
                while True:
                    try:
                        frame = await track.recv()
                    except Exception:  # the track ended with the connection
                        return
                    self.rate = frame.sample_rate
                    raw = bytes(frame.planes[0])[: frame.samples * 2 * len(frame.layout.channels)]
                    pcm = array.array("h")
                    pcm.frombytes(raw)
                    self.samples.extend(pcm[:: len(frame.layout.channels)])
                    self.frames += 1

            asyncio.ensure_future(pull())

    def mark(self) -> int:
        return len(self.samples)

    def since(self, mark: int) -> List[int]:
        return self.samples[mark:]


class Softphone:
    """One softphone connection: the WebSocket, and the messages it got, each schema-checked."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.log: List[dict] = []

    @classmethod
    async def connect(cls, url: str) -> "Softphone":
        return cls(await websockets.connect(url, max_size=1 << 20))

    async def send(self, message: dict, check: bool = True) -> None:
        """Sends one message, checked against the schema unless it is meant to break it."""
        if check:
            CLIENT_MESSAGE.validate(message)
        await self.ws.send(json.dumps(message))

    async def next(self) -> dict:
        raw = await asyncio.wait_for(self.ws.recv(), MESSAGE_TIMEOUT_S)
        assert isinstance(raw, str), "every frame is a text frame"
        message = json.loads(raw)
        SERVER_MESSAGE.validate(message)
        self.log.append(message)
        return message

    async def until(self, kind: str, **fields) -> dict:
        """The next message of `type` `kind` (and the given fields); others are kept in the log."""
        while True:
            message = await self.next()
            if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
                return message

    async def close(self) -> None:
        await self.ws.close()


async def bring_audio_up(phone: Softphone, heard: Heard) -> RTCPeerConnection:
    """Section 2 of "Life of a session": offer, answer, `media` `connected: true`."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))  # loopback only: no STUN server
    heard.attach(pc)
    pc.addTransceiver(Tone(AGENT_TONE_HZ), direction="sendrecv")
    await pc.setLocalDescription(await pc.createOffer())
    await phone.send(
        {"type": "media_offer", "offer": {"type": "offer", "sdp": pc.localDescription.sdp}}
    )
    answer = await phone.until("media_answer")
    sdp = answer["answer"]["sdp"]
    assert answer["answer"]["type"] == "answer"
    assert "a=ice-lite" in sdp, "the server is ICE-lite"
    rtpmaps = [line for line in sdp.splitlines() if line.startswith("a=rtpmap:")]
    assert rtpmaps and all("PCMU/8000" in line for line in rtpmaps), f"PCMU only: {rtpmaps}"
    await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
    media = await phone.until("media")
    assert media["connected"] is True
    return pc


async def place_call(demo: Demo, seconds: int) -> asyncio.subprocess.Process:
    """`callbridge demo call`, as the banner prints it."""
    return await asyncio.create_subprocess_exec(
        str(demo.binary),
        "demo",
        "call",
        "--from",
        CUSTOMER,
        "--sip",
        demo.sip,
        "--seconds",
        str(seconds),
        "--config",
        str(demo.config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def wait_for_audio(heard: Heard, mark: int, seconds: float) -> List[int]:
    """Waits until `seconds` of audio arrived after `mark` (bounded), and returns it."""
    deadline = time.monotonic() + MESSAGE_TIMEOUT_S
    while time.monotonic() < deadline:
        if heard.rate and len(heard.since(mark)) >= heard.rate * seconds:
            return heard.since(mark)
        await asyncio.sleep(0.1)
    pytest.fail(f"less than {seconds} s of audio arrived in {MESSAGE_TIMEOUT_S} s")


def recording_of(demo: Demo, call: str) -> Path:
    deadline = time.monotonic() + MESSAGE_TIMEOUT_S
    while time.monotonic() < deadline:
        found = list(demo.recordings.rglob(f"{call}.wav"))
        if found:
            return found[0]
        time.sleep(0.2)
    pytest.fail(f"no recording {call}.wav under {demo.recordings}")


def channels_of(path: Path):
    with wave.open(str(path)) as wav:
        assert wav.getnchannels() == 2, "one stereo WAV: customer left, agent right"
        assert wav.getsampwidth() == 2
        rate = wav.getframerate()
        pcm = array.array("h")
        pcm.frombytes(wav.readframes(wav.getnframes()))
    return rate, list(pcm[0::2]), list(pcm[1::2])


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 120))


def test_a_call_with_audio_both_ways(demo: Demo) -> None:
    async def scenario() -> str:
        heard = Heard()
        phone = await Softphone.connect(demo.softphone_url("bob.agent"))
        welcome = await phone.next()
        assert welcome == {
            "type": "welcome",
            "tenant": "demo",
            "agent": "bob.agent",
            "queues": welcome["queues"],
        }
        assert "support" in welcome["queues"]
        first = await phone.next()
        assert (first["type"], first["state"]) == ("agent_state", "offline")

        pc = await bring_audio_up(phone, heard)
        away = await phone.until("agent_state")
        assert (away["state"], away["reason"]) == ("unavailable", {"kind": "away"})

        await phone.send({"type": "set_availability", "available": True})
        assert (await phone.until("agent_state"))["state"] == "available"

        customer = await place_call(demo, seconds=4)
        ringing = await phone.until("ringing")
        call = ringing["call"]
        assert ringing["direction"] == "inbound"
        assert ringing["customer"] == CUSTOMER
        assert ringing["queue"] == "support"
        await phone.send({"type": "answer", "call": call})
        on_call = await phone.until("agent_state", state="on_call")
        assert on_call["call"] == call
        mark = heard.mark()

        talk = await wait_for_audio(heard, mark, 2.0)
        assert dominant(talk[heard.rate // 2 :], heard.rate) == CUSTOMER_TONE_HZ, (
            "aiortc hears the customer's 440 Hz tone"
        )

        ended = await phone.until("call_ended")
        assert (ended["call"], ended["cause"]) == (call, "customer_hung_up")
        # call_ended comes before the agent_state that moves the agent on.
        after = await phone.until("agent_state")
        assert after["state"] != "on_call"
        await customer.wait()
        await phone.close()
        await pc.close()
        return call

    call = run(scenario())
    rate, customer, agent = channels_of(recording_of(demo, call))
    assert dominant(customer, rate) == CUSTOMER_TONE_HZ, "the customer's tone, left"
    assert dominant(agent, rate) == AGENT_TONE_HZ, "the aiortc softphone's tone, right"


def test_an_offer_without_pcmu_gets_an_error_and_no_answer(demo: Demo) -> None:
    async def scenario() -> None:
        phone = await Softphone.connect(demo.softphone_url("bob.agent"))
        await phone.until("agent_state")
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        transceiver = pc.addTransceiver("audio", direction="sendrecv")
        opus = [c for c in RTCRtpSender.getCapabilities("audio").codecs if c.name == "opus"]
        transceiver.setCodecPreferences(opus)
        await pc.setLocalDescription(await pc.createOffer())
        assert "PCMU" not in pc.localDescription.sdp
        await phone.send(
            {"type": "media_offer", "offer": {"type": "offer", "sdp": pc.localDescription.sdp}}
        )
        error = await phone.next()
        assert error["type"] == "error", error
        assert "PCMU" in error["message"]
        # An offer whose SDP cannot be read is explained in words, not in the parser's internals.
        await phone.send({"type": "media_offer", "offer": {"type": "offer", "sdp": "hello"}})
        unreadable = await phone.next()
        assert unreadable["type"] == "error", unreadable
        assert "SDP" in unreadable["message"] and "0x" not in unreadable["message"], unreadable
        # A field the protocol does not have is refused, even on a ping.
        await phone.send({"type": "ping", "x": 1}, check=False)
        assert (await phone.next())["type"] == "error"
        # The connection goes on: a ping is still answered, and no media_answer came.
        await phone.send({"type": "ping"})
        assert (await phone.next())["type"] == "pong"
        assert not [m for m in phone.log if m["type"] == "media_answer"]
        await phone.close()
        await pc.close()

    run(scenario())


def test_a_call_survives_a_lost_softphone(demo: Demo) -> None:
    async def scenario() -> None:
        heard = Heard()
        phone = await Softphone.connect(demo.softphone_url("bob.agent"))
        await phone.until("agent_state")
        pc = await bring_audio_up(phone, heard)
        await phone.send({"type": "set_availability", "available": True})
        await phone.until("agent_state", state="available")
        customer = await place_call(demo, seconds=12)
        call = (await phone.until("ringing"))["call"]
        await phone.send({"type": "answer", "call": call})
        await phone.until("agent_state", state="on_call")
        await wait_for_audio(heard, heard.mark(), 1.0)

        # The softphone goes away without signing out: socket and audio both.
        await phone.close()
        await pc.close()

        again_heard = Heard()
        again = await Softphone.connect(demo.softphone_url("bob.agent"))
        assert (await again.next())["type"] == "welcome"
        snapshot = await again.next()
        assert snapshot["type"] == "call_snapshot", snapshot
        assert (snapshot["call"], snapshot["direction"]) == (call, "inbound")
        assert snapshot["customer"] == CUSTOMER
        assert snapshot["elapsed_ms"] >= 1000
        waiting = await again.next()
        assert (waiting["type"], waiting["state"], waiting["call"]) == (
            "agent_state",
            "on_call",
            call,
        )

        again_pc = await bring_audio_up(again, again_heard)
        back = await again.until("agent_state", state="on_call")
        assert back["call"] == call
        talk = await wait_for_audio(again_heard, again_heard.mark(), 2.0)
        assert dominant(talk[again_heard.rate // 2 :], again_heard.rate) == CUSTOMER_TONE_HZ, (
            "the customer is bridged to the new audio session"
        )

        ended = await again.until("call_ended")
        assert (ended["call"], ended["cause"]) == (call, "customer_hung_up")
        await customer.wait()
        await again.close()
        await again_pc.close()

    run(scenario())


def sign_in(demo: Demo, account: str, role: str = "agent") -> tuple:
    """`POST /api/v1/session` as the softphone page does it: (cookie, csrf_token)."""
    request = urllib.request.Request(
        demo.web + "/api/v1/session",
        data=json.dumps(
            {"tenant": "demo", "user": account, "password": demo.password(account)}
        ).encode(),
        headers={"Content-Type": "application/json", "Origin": demo.web},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=MESSAGE_TIMEOUT_S) as answer:
        body = json.loads(answer.read())
        cookie = answer.headers["Set-Cookie"].split(";", 1)[0]
    assert cookie.startswith("callbridge_session=")
    assert body["session"]["role"] == role
    return cookie, body["csrf_token"]


def test_the_browser_way_in_with_a_session_cookie(demo: Demo) -> None:
    cookie, csrf = sign_in(demo, "alice.agent")
    url = demo.web.replace("http://", "ws://") + "/api/v1/tenants/demo/agents/alice.agent/softphone"

    async def refused(headers: dict) -> int:
        try:
            await websockets.connect(url, additional_headers=headers)
        except websockets.exceptions.InvalidStatus as refusal:
            return refusal.response.status_code
        pytest.fail(f"the upgrade with {sorted(headers)} was accepted")

    async def scenario() -> None:
        assert await refused({"Cookie": cookie, "Origin": "http://evil.example"}) == 403
        assert await refused({"Cookie": cookie}) == 401, "a session cookie needs an Origin"
        assert await refused({"Origin": demo.web}) == 401, "no cookie, no ticket"

        ws = await websockets.connect(url, additional_headers={"Cookie": cookie, "Origin": demo.web})
        phone = Softphone(ws)
        assert (await phone.next())["agent"] == "alice.agent"
        await phone.until("agent_state", state="offline")
        pc = await bring_audio_up(phone, Heard())
        await phone.until("agent_state", state="unavailable")

        sign_out = urllib.request.Request(
            demo.web + "/api/v1/session",
            headers={"Cookie": cookie, "Origin": demo.web, "X-CSRF-Token": csrf},
            method="DELETE",
        )
        with urllib.request.urlopen(sign_out, timeout=MESSAGE_TIMEOUT_S) as answer:
            assert answer.status == 204
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            while True:
                await phone.next()
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4401, "signed_out")
        await pc.close()
        assert await refused({"Cookie": cookie, "Origin": demo.web}) == 401, "the session ended"

    run(scenario())
