"""Staff sessions in a cookie that is encrypted as well as signed.

Flask's own session cookie is signed, not encrypted: whoever holds a copy can read it. What the
console keeps across a redirect (desk.core.kept_input) includes a search's criteria, a child's
name, date of birth and postcode; sealed, the cookie tells nothing to whoever finds it in a
browser's profile or a proxy's trace. The key is derived from SECRET_KEY, so there is no new
setting to keep, and a new SECRET_KEY ends every session, as it always has.
"""

import base64
import zlib
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

# What the derived key is for: a SECRET_KEY signs CSRF tokens too, never with this key.
KEY_PURPOSE = b"desk: staff session cookie encryption"


@cache
def _fernet(secret_key: str | bytes) -> Fernet:
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_PURPOSE).derive(secret)
    return Fernet(base64.urlsafe_b64encode(derived))


class _Sealed:
    """The session's tagged JSON, compressed, then encrypted (Fernet: AES-CBC and an HMAC)."""

    def __init__(self, fernet: Fernet) -> None:
        self.fernet = fernet
        self.tagged = TaggedJSONSerializer()

    def dumps(self, value: Any) -> str:
        # Compressed before, as nothing compresses once encrypted. Text, as Flask's session
        # serializer gives: itsdangerous then signs it, and Werkzeug sets it, as it would that.
        compressed = zlib.compress(self.tagged.dumps(value).encode())
        return self.fernet.encrypt(compressed).decode("ascii")

    def loads(self, value: str | bytes) -> Any:
        try:
            opened = self.fernet.decrypt(value)
        except InvalidToken:
            # As a forged cookie is: the session starts empty (signed out), never an error.
            raise BadSignature("the session cookie does not open") from None
        return self.tagged.loads(zlib.decompress(opened).decode())


class SealedSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, its contents encrypted under a key from SECRET_KEY."""

    # Not Flask's: a cookie from before sealing fails its signature, and starts afresh.
    salt = "desk-sealed-session"

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        return _signing(app.secret_key, self.salt, self.key_derivation, self.digest_method)


@cache
def _signing(
    secret_key: str | bytes, salt: str, key_derivation: str, digest_method: Any
) -> URLSafeTimedSerializer:
    # One a key, not one a request: making it encrypts once, to see what its serializer gives.
    return URLSafeTimedSerializer(
        secret_key,
        salt=salt,
        serializer=_Sealed(_fernet(secret_key)),
        signer_kwargs={"key_derivation": key_derivation, "digest_method": digest_method},
    )
