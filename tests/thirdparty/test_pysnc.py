"""PySNC (ServiceNow's own Python client, pinned in requirements.txt) against the running sandbox.

Everything here goes through PySNC's public API -- ServiceNowClient, GlideRecord, the batch API,
ServiceNowPasswordGrantFlow -- or the requests / requests-oauthlib session PySNC itself builds.
TLS is verified against the sandbox CA (conftest sets REQUESTS_CA_BUNDLE); nothing disables it.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs, urlsplit

import certifi
import pytest
import requests
from oauthlib.oauth2.rfc6749.errors import OAuth2Error

from pysnc import ServiceNowClient, ServiceNowPasswordGrantFlow
from pysnc.exceptions import (
    AuthenticationException,
    NotFoundException,
    RequestException,
    RoleException,
)

# The demo seed's customer_contact rows (crates/sandbox/src/seed.rs), by name.
DEMO_CONTACTS = {
    "Haruto Tanaka",
    "Yui Sato",
    "Emily Carter",
    "Michael Brown",
    "Aiko Yamamoto",
    "Ken Watanabe",
    "Sofia Garcia",
    "James Wilson",
}
ACCESS_TOKEN_LIFESPAN_S = 1800


# --------------------------------------------------------------------------------------------
# helpers


@pytest.fixture
def record_requests():
    """record_requests(client) -> list filled with every (method, url, status) the client's
    session exchanges from then on; the hooks come off again when the test ends."""
    attached = []

    def attach(client: ServiceNowClient) -> list:
        seen = []

        def hook(response, *args, **kwargs):
            seen.append((response.request.method, response.request.url, response.status_code))

        client.session.hooks["response"].append(hook)
        attached.append((client, hook))
        return seen

    yield attach
    for client, hook in attached:
        client.session.hooks["response"].remove(hook)


def query_params(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def names(gr) -> list:
    return [r.get_value("name") for r in gr]


def unique_tag() -> str:
    return f"pysnc-{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------------------------
# clients


@pytest.fixture(scope="session")
def admin_client(sandbox) -> ServiceNowClient:
    return ServiceNowClient(sandbox.base_url, sandbox.admin)


@pytest.fixture(scope="session")
def agent_client(sandbox) -> ServiceNowClient:
    """alice.agent has the CSM agent role; Basic auth."""
    return ServiceNowClient(sandbox.base_url, ("alice.agent", sandbox.password("alice.agent")))


@pytest.fixture(scope="session")
def oauth_client(sandbox) -> ServiceNowClient:
    """bob.agent through the OAuth password grant (requests-oauthlib under PySNC)."""
    flow = ServiceNowPasswordGrantFlow("bob.agent", sandbox.password("bob.agent"), sandbox.client_id, sandbox.client_secret)
    return ServiceNowClient(sandbox.base_url, flow)


@pytest.fixture(params=["basic", "oauth"])
def csm_client(request, agent_client, oauth_client) -> ServiceNowClient:
    return agent_client if request.param == "basic" else oauth_client


# --------------------------------------------------------------------------------------------
# transport


def test_tls_is_verified_against_the_sandbox_ca(sandbox):
    # The public CA store does not trust the sandbox: verification is really on.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sandbox.url("/api/now/table/customer_contact"), auth=sandbox.admin, verify=certifi.where(), timeout=30)
    # ...and the sandbox CA (via REQUESTS_CA_BUNDLE) does.
    gr = ServiceNowClient(sandbox.base_url, sandbox.admin).GlideRecord("customer_account")
    gr.query()
    assert len(gr) == 4


# --------------------------------------------------------------------------------------------
# queries


def test_query_all_contacts(csm_client):
    gr = csm_client.GlideRecord("customer_contact")
    gr.query()
    assert len(gr) == len(DEMO_CONTACTS)
    assert set(names(gr)) == DEMO_CONTACTS
    for r in gr:
        assert len(r.sys_id) == 32
        assert r.get_value("sys_class_name") == "customer_contact"


def test_add_query_equality_and_operator(csm_client):
    gr = csm_client.GlideRecord("customer_contact")
    gr.add_query("last_name", "Tanaka")
    gr.query()
    assert len(gr) == 1
    assert gr.next()
    assert gr.name == "Haruto Tanaka"
    assert gr.phone == "03-1234-5678"
    assert gr.mobile_phone == "090-1234-5678"
    assert not gr.next()

    gr = csm_client.GlideRecord("customer_contact")
    gr.add_query("phone", "STARTSWITH", "+81")
    gr.query()
    assert sorted(names(gr)) == ["Aiko Yamamoto", "Yui Sato"]


def test_add_or_condition(csm_client):
    gr = csm_client.GlideRecord("customer_contact")
    gr.add_query("first_name", "Emily").add_or_condition("first_name", "Ken")
    gr.query()
    assert sorted(names(gr)) == ["Emily Carter", "Ken Watanabe"]


def test_add_encoded_query_and_null_queries(csm_client):
    gr = csm_client.GlideRecord("customer_contact")
    gr.add_encoded_query("phoneLIKE262-7777^ORphone=+16692627777")
    gr.query()
    assert sorted(names(gr)) == ["Emily Carter", "Michael Brown"]

    gr = csm_client.GlideRecord("customer_contact")
    gr.add_null_query("phone")
    gr.query()
    assert names(gr) == ["Ken Watanabe"]

    gr = csm_client.GlideRecord("customer_contact")
    gr.add_not_null_query("home_phone")
    gr.add_query("last_name", "!=", "Wilson")
    gr.query()
    assert names(gr) == ["Sofia Garcia"]


def test_order_by_and_order_by_desc(csm_client):
    gr = csm_client.GlideRecord("customer_contact", batch_size=3)
    gr.order_by("last_name")
    gr.query()
    ascending = [r.get_value("last_name") for r in gr]
    assert ascending == sorted(ascending)
    assert len(ascending) == len(DEMO_CONTACTS)

    gr = csm_client.GlideRecord("customer_contact", batch_size=3)
    gr.order_by_desc("last_name")
    gr.query()
    assert [r.get_value("last_name") for r in gr] == list(reversed(ascending))


def test_iteration_pages_with_small_batch_size(csm_client, record_requests):
    seen = record_requests(csm_client)
    gr = csm_client.GlideRecord("customer_contact", batch_size=3)
    gr.query()
    assert len(gr) == len(DEMO_CONTACTS)  # X-Total-Count, before the other pages are fetched
    assert set(names(gr)) == DEMO_CONTACTS
    lists = [url for (method, url, _) in seen if method == "GET" and "/api/now/table/customer_contact" in url]
    params = [query_params(url) for url in lists]
    assert [p["sysparm_offset"] for p in params] == ["0", "3", "6"]
    assert all(p["sysparm_limit"] == "3" for p in params)
    assert all(p["sysparm_query"].endswith("ORDERBYsys_id") for p in params)


def test_row_count_comes_from_x_total_count(csm_client):
    gr = csm_client.GlideRecord("customer_contact", batch_size=2)
    gr.add_query("account.name", "Sakura Trading KK").add_or_condition("account.name", "Naniwa Logistics")
    gr.query()
    # Only one page (2 rows) has been fetched; the count is the header's.
    assert gr.get_row_count() == 4
    assert len(gr) == 4
    assert sorted(names(gr)) == ["Aiko Yamamoto", "Haruto Tanaka", "Ken Watanabe", "Yui Sato"]


def test_limit_is_sent_as_sysparm_limit(csm_client, record_requests):
    # (PySNC 1.2.1 over-fetches when limit > batch_size, so keep the limit within one batch.)
    seen = record_requests(csm_client)
    gr = csm_client.GlideRecord("customer_contact", batch_size=10)
    gr.limit = 5
    gr.query()
    assert len(list(gr)) == 5
    assert len(gr) == len(DEMO_CONTACTS)  # the total still comes from X-Total-Count
    assert [query_params(u)["sysparm_limit"] for (_, u, _) in seen] == ["5"]


def test_get_by_sys_id_and_by_field(csm_client):
    gr = csm_client.GlideRecord("customer_contact")
    assert gr.get("email", "sofia.garcia@example.com")
    sys_id = gr.get_value("sys_id")

    gr = csm_client.GlideRecord("customer_contact")
    assert gr.get(sys_id) is True
    assert gr.name == "Sofia Garcia"
    assert gr.mobile_phone == "+1 858 867 7857"
    assert gr.home_phone == "858.555.0199"


def test_reference_display_values_and_dot_walk(csm_client):
    gr = csm_client.GlideRecord("customer_contact")
    gr.fields = "name,account,account.name,sys_created_on"
    gr.add_query("last_name", "Sato")
    gr.query()
    assert gr.next()
    account = gr.get_element("account")
    assert len(account.get_value()) == 32
    assert account.get_display_value() == "Sakura Trading KK"
    # GlideElement dot-walk reads the flat "account.name" key from sysparm_fields.
    assert gr.account.name == "Sakura Trading KK"
    # Timestamps are UTC "YYYY-MM-DD HH:MM:SS", which PySNC parses.
    assert gr.sys_created_on.date_value().year >= 2024


def test_get_missing_sys_id_returns_false(csm_client):
    gr = csm_client.GlideRecord("customer_contact")
    assert gr.get("0123456789abcdef0123456789abcdef") is False


@pytest.mark.parametrize(
    ("parent", "child", "make"),
    [
        ("sys_user", "customer_contact", None),
        ("task", "sn_customerservice_case", {"short_description": "a case is a task"}),
    ],
)
def test_parent_table_returns_child_records(admin_client, parent, child, make):
    gr = admin_client.GlideRecord(child)
    if make is None:
        gr.add_query("last_name", "Tanaka")
        gr.query()
        assert gr.next()
        sys_id = gr.get_value("sys_id")
    else:
        gr.initialize()
        for k, v in make.items():
            gr.set_value(k, v)
        sys_id = str(gr.insert())
    try:
        base = admin_client.GlideRecord(parent)
        assert base.get(sys_id) is True
        assert base.get_value("sys_class_name") == child
        listed = admin_client.GlideRecord(parent)
        listed.add_query("sys_class_name", child)
        listed.query()
        assert len(listed) >= 1
    finally:
        if make is not None:
            doomed = admin_client.GlideRecord(child)
            if doomed.get(sys_id):
                doomed.delete()


def test_long_query_goes_through_the_batch_api(agent_client, record_requests):
    # PySNC switches a list query to POST /api/now/v1/batch once its URL would pass ~10,000 chars.
    gr = agent_client.GlideRecord("customer_contact")
    gr.add_query("email", "yui.sato@example.com")
    gr.query()
    assert gr.next()
    wanted = gr.get_value("sys_id")
    decoys = [uuid.uuid4().hex for _ in range(400)]
    seen = record_requests(agent_client)
    gr = agent_client.GlideRecord("customer_contact")
    gr.add_query("sys_id", "IN", ",".join(decoys + [wanted]))
    gr.query()
    assert [(m, urlsplit(u).path) for (m, u, _) in seen] == [("POST", "/api/now/v1/batch")]
    assert len(gr) == 1
    assert names(gr) == ["Yui Sato"]


# --------------------------------------------------------------------------------------------
# writes


@pytest.fixture
def new_contact(agent_client, admin_client):
    gr = agent_client.GlideRecord("customer_contact")
    gr.initialize()
    gr.first_name = "花子"
    gr.last_name = "山田"
    gr.name = "山田 花子"
    gr.email = f"{unique_tag()}@example.jp"
    gr.phone = "+81 3-5555-0101"
    gr.mobile_phone = "090-5555-0101"
    sys_id = gr.insert()
    assert sys_id
    yield gr
    # The seed grants CSM agents read/create/write but not delete; admin cleans up.
    cleanup = admin_client.GlideRecord("customer_contact")
    if cleanup.get(str(sys_id)):
        cleanup.delete()


def test_insert_contact_with_japanese_number(agent_client, new_contact):
    sys_id = new_contact.get_value("sys_id")
    assert len(sys_id) == 32
    # The 201 body is spliced into the record: server defaults are there.
    assert new_contact.get_value("sys_class_name") == "customer_contact"
    assert new_contact.get_value("sys_created_by") == "alice.agent"

    gr = agent_client.GlideRecord("customer_contact")
    gr.add_query("phone", "+81 3-5555-0101")
    gr.query()
    assert len(gr) == 1
    assert gr.next()
    assert gr.sys_id == sys_id
    assert gr.first_name == "花子"
    assert gr.last_name == "山田"
    assert gr.mobile_phone == "090-5555-0101"  # stored verbatim, not normalised


def test_insert_case_with_correlation_id(agent_client, admin_client, new_contact):
    correlation = f"call-{uuid.uuid4()}"
    case = agent_client.GlideRecord("sn_customerservice_case")
    case.initialize()
    case.short_description = "Inbound call from +81 3-5555-0101"
    case.contact = new_contact.get_value("sys_id")
    case.contact_type = "phone"
    case.correlation_id = correlation
    case.bunk_field = "unknown fields are ignored"
    sys_id = case.insert()
    try:
        assert sys_id
        assert case.get_value("number").startswith("CS")
        assert case.get_value("state") == "1"
        assert case.get_value("opened_by") != ""

        gr = agent_client.GlideRecord("sn_customerservice_case")
        gr.add_query("correlation_id", correlation)
        gr.query()
        assert len(gr) == 1
        assert gr.next()
        assert gr.sys_id == sys_id
        assert gr.get_value("contact") == new_contact.get_value("sys_id")
        assert gr.get_display_value("contact") == "山田 花子"
        assert gr.get_display_value("contact_type") == "Phone"
    finally:
        gr = admin_client.GlideRecord("sn_customerservice_case")
        if gr.get(str(sys_id)):
            gr.delete()


def test_insert_honours_client_sys_id(agent_client, admin_client):
    wanted = uuid.uuid4().hex
    gr = agent_client.GlideRecord("sn_customerservice_case")
    gr.initialize()
    gr.set_new_guid_value(wanted)
    gr.short_description = "client-chosen sys_id"
    assert gr.insert() == wanted
    again = admin_client.GlideRecord("sn_customerservice_case")
    assert again.get(wanted)
    assert again.short_description == "client-chosen sys_id"
    assert again.delete()


def test_update_then_delete(csm_client, admin_client):
    gr = csm_client.GlideRecord("sn_customerservice_case")
    gr.initialize()
    gr.short_description = "to be updated"
    gr.priority = "4"
    sys_id = gr.insert()
    assert sys_id

    gr.priority = "2"
    gr.state = "10"
    gr.work_notes = "caller asked for a callback"
    assert gr.update() == sys_id
    assert gr.get_value("priority") == "2"  # the PATCH response is spliced in

    fresh = csm_client.GlideRecord("sn_customerservice_case")
    assert fresh.get(str(sys_id))
    assert fresh.priority == "2"
    assert fresh.state == "10"
    assert fresh.short_description == "to be updated"
    assert fresh.work_notes == ""  # journal fields read back empty through the Table API

    doomed = admin_client.GlideRecord("sn_customerservice_case")
    assert doomed.get(str(sys_id))
    assert doomed.delete() is True
    assert csm_client.GlideRecord("sn_customerservice_case").get(str(sys_id)) is False
    # Updating or deleting what is gone is a 404, which PySNC raises as NotFoundException.
    with pytest.raises(NotFoundException):
        doomed.delete()
    gr.priority = "1"
    with pytest.raises(NotFoundException):
        gr.update()


def test_update_multiple_and_delete_multiple_use_the_batch_api(agent_client, admin_client, record_requests):
    tag = unique_tag()
    for i in range(5):
        gr = agent_client.GlideRecord("sn_customerservice_case")
        gr.initialize()
        gr.short_description = f"{tag} #{i}"
        gr.priority = "4"
        assert gr.insert()

    seen = record_requests(agent_client)
    gr = agent_client.GlideRecord("sn_customerservice_case", batch_size=2)
    gr.add_query("short_description", "STARTSWITH", tag)
    gr.query()
    assert len(gr) == 5
    for r in gr:
        r.priority = "3"
    assert gr.update_multiple() is True
    assert ("POST", "/api/now/v1/batch") in [(m, urlsplit(u).path) for (m, u, _) in seen]

    check = agent_client.GlideRecord("sn_customerservice_case")
    check.add_query("short_description", "STARTSWITH", tag)
    check.add_query("priority", "3")
    check.query()
    assert len(check) == 5

    seen = record_requests(admin_client)
    doomed = admin_client.GlideRecord("sn_customerservice_case", batch_size=2)
    doomed.add_query("short_description", "STARTSWITH", tag)
    assert doomed.delete_multiple() is True
    assert ("POST", "/api/now/v1/batch") in [(m, urlsplit(u).path) for (m, u, _) in seen]

    gone = agent_client.GlideRecord("sn_customerservice_case")
    gone.add_query("short_description", "STARTSWITH", tag)
    gone.query()
    assert len(gone) == 0
    assert not gone.next()


# --------------------------------------------------------------------------------------------
# OAuth


def test_password_grant_token_shape(sandbox, oauth_client):
    token = oauth_client.session.token
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 1799
    assert token["scope"] == ["useraccount"]
    assert token["refresh_token"]
    gr = oauth_client.GlideRecord("customer_account")
    gr.query()
    assert len(gr) == 4


def test_password_grant_while_token_valid_returns_same_access_token(sandbox):
    def login():
        flow = ServiceNowPasswordGrantFlow("alice.agent", sandbox.password("alice.agent"), sandbox.client_id, sandbox.client_secret)
        return ServiceNowClient(sandbox.base_url, flow)

    first, second = login(), login()
    assert first.session.token["access_token"] == second.session.token["access_token"]


def test_expired_access_token_is_rejected_then_refresh_grant_recovers(private_sandbox):
    sb = private_sandbox
    flow = ServiceNowPasswordGrantFlow("alice.agent", sb.password("alice.agent"), sb.client_id, sb.client_secret)
    client = ServiceNowClient(sb.base_url, flow)
    old = dict(client.session.token)

    sb.advance_clock(ACCESS_TOKEN_LIFESPAN_S)
    client.session.cookies.clear()  # only the (now expired) bearer token speaks for us
    gr = client.GlideRecord("customer_contact")
    with pytest.raises(AuthenticationException) as failure:
        gr.query()
    assert failure.value.args[0]["error"]["message"] == "User Not Authenticated"

    # The refresh_token grant, through the requests-oauthlib session PySNC built
    # (client_id/client_secret in the form body, as PySNC configures auto_refresh_kwargs).
    new = client.session.refresh_token(client.session.auto_refresh_url)
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"]
    assert new["expires_in"] == 1799
    gr = client.GlideRecord("customer_contact")
    gr.query()
    assert len(gr) == len(DEMO_CONTACTS)


def test_requests_oauthlib_auto_refresh_on_pysnc_session(private_sandbox):
    sb = private_sandbox
    flow = ServiceNowPasswordGrantFlow("alice.agent", sb.password("alice.agent"), sb.client_id, sb.client_secret)
    client = ServiceNowClient(sb.base_url, flow)
    session = client.session
    old = session.token["access_token"]
    updated = []
    session.token_updater = updated.append

    sb.advance_clock(ACCESS_TOKEN_LIFESPAN_S)
    session.token = dict(session.token, expires_at=time.time() - 1)  # the client's clock agrees
    response = session.get(sb.url("/api/now/table/customer_account"), params={"sysparm_limit": "1"})
    assert response.status_code == 200, response.text
    assert len(updated) == 1
    assert updated[0]["access_token"] != old
    assert response.headers["X-Total-Count"] == "4"


def test_pysnc_transparent_refresh_after_expiry(private_sandbox, record_requests):
    sb = private_sandbox
    flow = ServiceNowPasswordGrantFlow("alice.agent", sb.password("alice.agent"), sb.client_id, sb.client_secret)
    client = ServiceNowClient(sb.base_url, flow)
    old = client.session.token["access_token"]
    seen = record_requests(client)

    gr = client.GlideRecord("customer_account")
    gr.query()  # uses the token (and, on a real instance, picks up the session cookie)
    assert len(gr) == 4
    sb.advance_clock(1000)
    gr = client.GlideRecord("customer_account")
    gr.query()  # still inside the token's lifespan
    assert len(gr) == 4
    sb.advance_clock(ACCESS_TOKEN_LIFESPAN_S - 1000)
    client.session.token = dict(client.session.token, expires_at=time.time() - 1)

    gr = client.GlideRecord("customer_contact")
    try:
        gr.query()
    finally:
        # PySNC did run the refresh_token grant before the failing request.
        assert ("POST", "/oauth_token.do", 200) in [(m, urlsplit(u).path, s) for (m, u, s) in seen]
        assert client.session.token["access_token"] != old
    assert len(gr) == len(DEMO_CONTACTS)


# --------------------------------------------------------------------------------------------
# errors


def test_wrong_password_basic_raises_authentication_exception(sandbox):
    client = ServiceNowClient(sandbox.base_url, ("alice.agent", "not-the-password"))
    gr = client.GlideRecord("customer_contact")
    with pytest.raises(AuthenticationException) as failure:
        gr.query()
    body = failure.value.args[0]
    assert body["error"]["message"] == "User Not Authenticated"
    assert body["error"]["detail"] == "Required to provide Auth information"
    assert body["status"] == "failure"


@pytest.mark.parametrize("what", ["password", "client_secret", "client_id"])
def test_wrong_oauth_credentials_raise_from_the_token_request(sandbox, what):
    creds = {
        "username": "alice.agent",
        "password": sandbox.password("alice.agent"),
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
    }
    creds[what] = "wrong" + uuid.uuid4().hex[:8]
    flow = ServiceNowPasswordGrantFlow(creds["username"], creds["password"], creds["client_id"], creds["client_secret"])
    with pytest.raises(OAuth2Error) as failure:
        ServiceNowClient(sandbox.base_url, flow)
    # ServiceNow's one failure body: {"error_description":"access_denied","error":"server_error"}
    assert failure.value.error == "server_error"
    assert failure.value.description == "access_denied"


def test_unknown_table_raises_request_exception(agent_client):
    gr = agent_client.GlideRecord("u_no_such_table")
    with pytest.raises(RequestException) as failure:
        gr.query()
    assert failure.value.args[0]["error"]["message"] == "Invalid table u_no_such_table"


def test_user_without_csm_role_is_denied(sandbox):
    carol = ServiceNowClient(sandbox.base_url, ("carol.norole", sandbox.password("carol.norole")))
    gr = carol.GlideRecord("customer_contact")
    with pytest.raises(RoleException) as failure:
        gr.query()
    assert failure.value.args[0]["error"]["message"] == "Insufficient rights to query records"

    case = carol.GlideRecord("sn_customerservice_case")
    case.initialize()
    case.short_description = "carol may not create cases"
    with pytest.raises(RoleException):
        case.insert()
