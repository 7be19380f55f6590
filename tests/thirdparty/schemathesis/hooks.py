"""Schemathesis hooks for the call-events API: sign each request as a PBX would.

The signature covers the exact bytes sent (`HMAC-SHA256(secret, "<t>.<raw body>")`, see
crates/integration/src/events_api/signature.rs), so it is computed by a requests auth object on
the prepared request, after schemathesis has serialised the body. A case generated *without*
the X-Callbridge-Signature header (a negative case: the header is required) is sent unsigned,
so the server's 401 is what schemathesis checks.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time

import requests
import schemathesis

SECRET = os.environ["CALLBRIDGE_EVENTS_SECRET"].encode()
HEADER = "X-Callbridge-Signature"


class Sign(requests.auth.AuthBase):
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        timestamp = str(int(time.time()))
        mac = hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        request.headers[HEADER] = f"t={timestamp},v1={mac}"
        return request


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    if any(name.lower() == HEADER.lower() for name in headers):
        kwargs["auth"] = Sign()
