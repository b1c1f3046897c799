"""Writes users the way the Python service did: its MongoEngine `User` document (collection
`user`, case-sensitive unique indexes on username and email) and Werkzeug password hashes.

    .tools/pyfixture-venv/bin/python tooling/python-fixture/make_users.py \
        --uri mongodb://127.0.0.1:27017/ --db legacy

Prints a JSON summary on stdout: every user written (id, username, email, the plaintext
password behind its hash, the hash's scheme, the MFA secret) and the invalid row.
"""

import argparse
import datetime
import json
import sys

import mongoengine as me
import pyotp
from werkzeug.security import generate_password_hash

GENDERS = ("Male", "Female", "Other", "Unspecified")


class User(me.Document):
    """The Python service's user, as its models.py declared it."""

    meta = {"collection": "user"}
    username = me.StringField(required=True, unique=True)
    first_name = me.StringField(required=True)
    last_name = me.StringField(required=True)
    email = me.EmailField(required=True, unique=True)
    password = me.StringField(required=True)
    gender = me.StringField(required=True, choices=GENDERS)
    role = me.StringField(default="user", choices=("user", "admin"))
    is_active = me.BooleanField(default=False)
    mfa_secret = me.StringField(null=True)
    activation_code = me.StringField(null=True)
    activation_code_expires_at = me.DateTimeField(null=True)
    created_at = me.DateTimeField(default=datetime.datetime.utcnow)


# (username, email, password, hash method or None for Werkzeug's default, extra fields)
USERS = [
    ("alice", "alice@example.com", "Alice-pass-1", None, {"is_active": True}),
    ("bob", "bob@example.com", "Bob-pass-22", "pbkdf2:sha256", {"is_active": True}),
    ("carol", "carol@example.com", "Carol-pass-3", "pbkdf2:sha256:260000", {"is_active": True}),
    ("dave", "dave@example.com", "Dave-pass-44", "pbkdf2:sha1:150000", {"is_active": True}),
    ("root", "root@example.com", "Root-pass-55", None, {"is_active": True, "role": "admin"}),
    ("mfa.user", "mfa@example.com", "Mfa-pass-666", None, {"is_active": True, "mfa": True}),
    (
        "pending",
        "pending@example.com",
        "Pending-pass-7",
        None,
        {"activation_code": "123456", "activation_minutes": 60},
    ),
    # Two users the case-sensitive unique index let in: the same name for us.
    ("John", "john.upper@example.com", "John-pass-888", None, {"is_active": False}),
    ("john", "john.lower@example.com", "john-pass-999", None, {"is_active": True}),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", required=True, help="MongoDB URI of the source server")
    parser.add_argument("--db", required=True, help="database to write the users into")
    args = parser.parse_args()

    me.connect(db=args.db, host=args.uri, uuidRepresentation="standard")
    User.ensure_indexes()
    written = []
    for username, email, password, method, extra in USERS:
        hashed = generate_password_hash(password) if method is None else generate_password_hash(password, method=method)
        secret = pyotp.random_base32() if extra.get("mfa") else None
        minutes = extra.get("activation_minutes")
        user = User(
            username=username,
            first_name=username.capitalize(),
            last_name="Legacy",
            email=email,
            password=hashed,
            gender="Female" if len(written) % 2 else "Male",
            role=extra.get("role", "user"),
            is_active=extra.get("is_active", False),
            mfa_secret=secret,
            activation_code=extra.get("activation_code"),
            activation_code_expires_at=(
                datetime.datetime.utcnow() + datetime.timedelta(minutes=minutes) if minutes else None
            ),
        ).save()
        written.append(
            {
                "id": str(user.id),
                "username": username,
                "email": email,
                "password": password,
                "scheme": hashed.split("$", 1)[0],
                "role": user.role,
                "gender": user.gender,
                "is_active": user.is_active,
                "mfa_secret": secret,
            }
        )

    # A row written before the service validated gender (or by hand): save() without validation.
    invalid = User(
        username="oddone",
        first_name="Odd",
        last_name="One",
        email="not-an-email",
        password=generate_password_hash("Oddone-pass-1"),
        gender="Robot",
        is_active=True,
    ).save(validate=False)

    indexes = sorted(User._get_collection().index_information().keys())
    json.dump(
        {
            "collection": User._get_collection_name(),
            "indexes": indexes,
            "users": written,
            "invalid": [{"id": str(invalid.id), "username": "oddone", "reasons": ["email", "gender"]}],
        },
        sys.stdout,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
