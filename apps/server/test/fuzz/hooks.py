"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS=hooks by ../fuzz.integration.test.ts).

Teaches the fuzzer what JSON Schema cannot state, so that generated registrations succeed
and the stateful phase gets real users to follow the OpenAPI links from: a password's
confirmation repeats it, usernames and emails are unique (generated ones repeat, and a
repeat is a 409), and a registration's valid password is made strong enough for the
password policy (generated ones are weak: 400 WEAK_PASSWORD). Invalid values are left as
they are.
"""

import re
import unicodedata
import uuid

import schemathesis

USERNAME = re.compile(r"^[A-Za-z0-9._-]{3,32}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


def valid_password(password):
    """What passwordSchema accepts (8..128 UTF-16 units, also NFKC-normalised); the policy aside."""
    return (
        isinstance(password, str)
        and 8 <= utf16_length(password) <= 128
        and utf16_length(unicodedata.normalize("NFKC", password)) <= 128
    )


@schemathesis.hook
def map_body(context, body):
    if not isinstance(body, dict):
        return body
    if "first_name" in body and "password" in body:  # a registration
        unique = uuid.uuid4().hex[:10]
        if valid_password(body.get("password")):
            body["password"] = f"Tulip-Kettle-{unique}-42"
        username = body.get("username")
        if isinstance(username, str) and USERNAME.match(username):
            body["username"] = f"{username[:20]}_{unique}"
        email = body.get("email")
        if isinstance(email, str) and EMAIL.match(email) and len(email) < 200:
            body["email"] = f"fuzz.{unique}@example.com"
    if isinstance(body.get("password"), str) and "password_confirmation" in body:
        body["password_confirmation"] = body["password"]
    return body
