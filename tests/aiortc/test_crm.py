"""The CRM side, from outside: an agent links her ServiceNow account with plain HTTP (the link
`callbridge link-url` prints, the instance's sign-in form, Callbridge's callback page), takes a
call in the aiortc softphone, and gets the screen pop and the Case; the Case in the instance
holds the permanent recording link; and that link, opened by an HTTP client with no browser,
sends the viewer to the CRM's sign-in, lets a viewer the CRM allows hear the recording (a
Range request on the short-lived media URL), and refuses a CRM user without the role with the
one refusal page. What is checked is what README.md, docs/web-api.md,
docs/softphone-protocol.md and docs/recordings.md say.
"""

from __future__ import annotations

import asyncio
import csv
import html
import http.cookiejar
import re
import subprocess
from typing import Optional
from urllib.parse import urljoin, urlparse

import pytest
import requests

from conftest import Demo
from test_softphone import CUSTOMER, Heard, Softphone, bring_audio_up, place_call, run

AGENT = "alice.agent"
CONTACT = "Haruto Tanaka"  # the demo's seeded contact for CUSTOMER
ACCOUNT = "Sakura Trading KK"


@pytest.fixture(autouse=True)
def loopback_is_secure(monkeypatch) -> None:
    """Sends `Secure` cookies to 127.0.0.1 over plain HTTP, as browsers do (they count loopback
    as a secure context). Python's cookie jar does not, and requests builds a fresh jar with the
    default policy for every request and redirect, so the policy itself is patched here."""
    default = http.cookiejar.DefaultCookiePolicy.return_ok_secure

    def return_ok_secure(policy, cookie, request) -> bool:
        if urlparse(request.get_full_url()).hostname == "127.0.0.1":
            return True
        return default(policy, cookie, request)

    monkeypatch.setattr(http.cookiejar.DefaultCookiePolicy, "return_ok_secure", return_ok_secure)


def browser(demo: Demo) -> requests.Session:
    """An HTTP client that trusts the sandbox's CA and nothing from the environment."""
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE would replace `verify`
    session.verify = str(demo.ca_file)
    return session


def sign_in_at_the_instance(
    session: requests.Session, page: requests.Response, user: str, password: str
) -> requests.Response:
    """Fills the instance's OAuth sign-in form (its hidden fields kept) and allows access."""
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, f"no sign-in form at {page.url}:\n{page.text[:500]}"
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text)
    }
    fields.update(user_name=user, user_password=password, decision="allow")
    return session.post(urljoin(page.url, action.group(1)), data=fields)


def link_crm_account(demo: Demo, agent: str, crm_user: str) -> requests.Response:
    link = subprocess.run(
        [str(demo.binary), "link-url", "--config", str(demo.config), "--tenant", "demo",
         "--agent", agent],
        check=True, capture_output=True, text=True,
    ).stdout.split()[-1]
    session = browser(demo)
    return sign_in_at_the_instance(
        session, session.get(link), crm_user, demo.instance_passwords[crm_user]
    )


def test_a_wrong_user_at_the_consent_page_links_nothing(demo: Demo) -> None:
    refused = link_crm_account(demo, "bob.agent", "alice.agent")
    assert refused.status_code == 403
    assert "Nothing was linked" in refused.text
    assert "bob.agent" in refused.text, "the page names the user to sign in as"


def test_a_linked_agent_gets_the_pop_and_the_case_and_its_recording_opens(demo: Demo) -> None:
    linked = link_crm_account(demo, AGENT, AGENT)
    assert linked.status_code == 200, linked.text
    assert "linked" in linked.text

    async def a_call() -> tuple:
        phone = await Softphone.connect(demo.softphone_url(AGENT))
        await phone.until("agent_state")
        pc = await bring_audio_up(phone, Heard())
        await phone.send({"type": "set_availability", "available": True})
        await phone.until("agent_state", state="available")
        customer = await place_call(demo, seconds=3)
        ringing = await phone.until("ringing")
        call = ringing["call"]
        pop = await phone.until("crm", call=call)
        notice = pop["notice"]
        assert notice["type"] == "screen_pop", notice
        assert notice["contact"]["name"] == CONTACT
        assert notice["contact"]["account"]["name"] == ACCOUNT
        await phone.send({"type": "answer", "call": call})
        case: Optional[dict] = None
        while case is None:
            message = await phone.next()
            if message["type"] == "crm" and message["notice"]["type"] == "show_case":
                case = message["notice"]["case"]
        assert re.fullmatch(r"CS\d{7}", case["label"]), case
        await phone.until("call_ended", call=call)
        await customer.wait()
        await phone.close()
        await pc.close()
        return call, notice["contact"], case

    call, contact, case = run(a_call())

    # The Case in the instance, read with the instance admin's credentials (Table API).
    instance = browser(demo)
    record = instance.get(
        f"{demo.instance}/api/now/table/sn_customerservice_case/{case['id']}",
        auth=demo.instance_admin,
        params={"sysparm_exclude_reference_link": "true"},
    )
    assert record.status_code == 200, record.text
    fields = record.json()["result"]
    assert fields["number"] == case["label"]
    assert fields["contact"] == contact["id"]
    link = f"{demo.web}/recordings/{call}"
    assert link in fields.values(), f"no field of the Case holds {link}: {fields}"

    # Opened with no session: the demo's two tenants (the contact center and the customers'
    # side) sign in through the same instance and OAuth client, one sign-in for both, so the
    # link goes straight to the CRM's sign-in, for this call as for one that does not exist.
    viewer = browser(demo)
    first = viewer.get(link, allow_redirects=False)
    assert first.status_code == 303, first.status_code
    assert first.headers["Location"].startswith(demo.instance + "/oauth_auth.do")
    unknown = viewer.get(f"{demo.web}/recordings/no-such-call", allow_redirects=False)
    assert unknown.status_code == 303, "the answer does not depend on whether the call exists"
    assert unknown.headers["Location"].startswith(demo.instance + "/oauth_auth.do")

    # A viewer the CRM lets read the Case: the page, then the audio by its short-lived URL.
    page = sign_in_at_the_instance(
        viewer, viewer.get(link), AGENT, demo.instance_passwords[AGENT]
    )
    assert page.status_code == 200, page.text[:500]
    assert page.url == link
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    media = re.search(r'<audio[^>]*\ssrc="([^"]+)"', page.text)
    assert media, f"no audio element on the recording page:\n{page.text[:800]}"
    audio = viewer.get(urljoin(link, html.unescape(media.group(1))), headers={"Range": "bytes=0-11"})
    assert audio.status_code == 206, audio.status_code
    assert audio.content[:4] == b"RIFF" and audio.content[8:12] == b"WAVE"
    tampered = viewer.get(urljoin(link, html.unescape(media.group(1))) + "0")
    assert tampered.status_code == 403

    # A CRM user without the CSM role: the one refusal page.
    outsider = browser(demo)
    refused = sign_in_at_the_instance(
        outsider, outsider.get(link), "carol.norole", demo.instance_passwords["carol.norole"]
    )
    assert refused.status_code == 403
    unknown = outsider.get(f"{demo.web}/recordings/no-such-call")
    assert unknown.status_code == 403
    assert unknown.text == refused.text, "one page, byte for byte, whether the call exists or not"

    # The listen audit holds all of it (`callbridge listen-audit --csv`, docs/recordings.md).
    audit = subprocess.run(
        [str(demo.binary), "listen-audit", "--config", str(demo.config), "--tenant", "demo",
         "--csv"],
        check=True, capture_output=True, text=True,
    ).stdout
    rows = [
        (row["action"], row["viewer"], row["allowed"])
        for row in csv.DictReader(audit.splitlines())
        if row["call_id"] == call
    ]
    for expected in [
        ("open", "anonymous", "refused"),
        ("open", AGENT, "allowed"),
        ("media", AGENT, "allowed"),
        ("media", AGENT, "refused"),
        ("open", "carol.norole", "refused"),
    ]:
        assert expected in rows, f"{expected} not in the listen audit: {rows}"
