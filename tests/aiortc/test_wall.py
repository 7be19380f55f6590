"""The supervisor's live wall (docs/console-api.md, "Live wall") read by a plain WebSocket
client while the aiortc softphone takes a call: the whole wall first, then `changes` rows that
follow the agent from available through ringing and on the call back to available, and the
queue's counts. An agent's session is refused the wall.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets

from conftest import Demo
from test_softphone import (
    CUSTOMER,
    MESSAGE_TIMEOUT_S,
    Heard,
    Softphone,
    bring_audio_up,
    place_call,
    run,
    sign_in,
)

AGENT = "alice.agent"
SUPERVISOR = "sam.supervisor"


class Wall:
    """The wall as a client keeps it: rows by queue and by agent, replaced by each message."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.queues: dict = {}
        self.agents: dict = {}

    async def next(self) -> dict:
        message = json.loads(await asyncio.wait_for(self.ws.recv(), MESSAGE_TIMEOUT_S))
        assert message["type"] in ("wall", "changes"), message
        assert isinstance(message["server_time"], int)
        if message["type"] == "wall":
            self.queues, self.agents = {}, {}
        self.queues.update({row["queue"]: row for row in message["queues"]})
        self.agents.update({row["agent"]: row for row in message["agents"]})
        return message

    async def until(self, what, describe: str) -> None:
        deadline = time.monotonic() + MESSAGE_TIMEOUT_S
        while not what(self):
            if time.monotonic() > deadline:
                pytest.fail(f"the wall never showed {describe}: {self.agents} {self.queues}")
            await self.next()


def wall_url(demo: Demo) -> str:
    return demo.web.replace("http://", "ws://") + "/api/v1/console/wall"


def test_the_wall_follows_a_call_from_ringing_to_talking_and_back(demo: Demo) -> None:
    cookie, _ = sign_in(demo, SUPERVISOR, role="supervisor")
    agent_cookie, _ = sign_in(demo, AGENT)

    async def scenario() -> None:
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            await websockets.connect(
                wall_url(demo), additional_headers={"Cookie": agent_cookie, "Origin": demo.web}
            )
        assert refused.value.response.status_code == 403, "an agent does not see the wall"

        ws = await websockets.connect(
            wall_url(demo), additional_headers={"Cookie": cookie, "Origin": demo.web}
        )
        wall = Wall(ws)
        first = await wall.next()
        assert first["type"] == "wall"
        assert [row["queue"] for row in first["queues"]][:2] == ["support", "billing"]
        assert wall.agents[AGENT]["state"] == "offline"
        answered_before = wall.queues["support"]["answered"]

        phone = await Softphone.connect(demo.softphone_url(AGENT))
        await phone.until("agent_state")
        pc = await bring_audio_up(phone, Heard())
        await phone.send({"type": "set_availability", "available": True})
        await wall.until(lambda w: w.agents[AGENT]["state"] == "available", "alice available")

        customer = await place_call(demo, seconds=3)
        call = (await phone.until("ringing"))["call"]
        await wall.until(lambda w: w.agents[AGENT]["state"] == "ringing", "alice ringing")
        ringing = wall.agents[AGENT]["call"]
        assert (ringing["id"], ringing["direction"], ringing["number"]) == (
            call,
            "inbound",
            CUSTOMER,
        )
        await phone.send({"type": "answer", "call": call})
        await wall.until(lambda w: w.agents[AGENT]["state"] == "on_call", "alice on the call")
        assert wall.agents[AGENT]["call"]["held"] is False

        await phone.until("call_ended", call=call)
        await wall.until(
            lambda w: w.agents[AGENT]["state"] == "available"
            and w.queues["support"]["answered"] == answered_before + 1,
            "alice available again and the call counted as answered",
        )
        assert wall.agents[AGENT]["call"] is None
        assert wall.queues["support"]["waiting"] == 0
        await customer.wait()
        await phone.close()
        await pc.close()
        await ws.close()

    run(scenario())
