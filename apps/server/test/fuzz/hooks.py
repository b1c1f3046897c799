"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS=hooks by ../fuzz.integration.test.ts).

Teaches the fuzzer what JSON Schema cannot state, so that generated registrations succeed
and the stateful phase gets real users to follow the OpenAPI links from: a password's
confirmation repeats it, and usernames and emails are unique (generated ones repeat, and
a repeat is a 409). Invalid values are left as they are.
"""

import re
import uuid

import schemathesis

USERNAME = re.compile(r"^[A-Za-z0-9._-]{3,32}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


@schemathesis.hook
def map_body(context, body):
    if not isinstance(body, dict):
        return body
    if isinstance(body.get("password"), str) and "password_confirmation" in body:
        body["password_confirmation"] = body["password"]
    if "first_name" in body and "password" in body:  # a registration
        unique = uuid.uuid4().hex[:10]
        username = body.get("username")
        if isinstance(username, str) and USERNAME.match(username):
            body["username"] = f"{username[:20]}_{unique}"
        email = body.get("email")
        if isinstance(email, str) and EMAIL.match(email) and len(email) < 200:
            body["email"] = f"fuzz.{unique}@example.com"
    return body
