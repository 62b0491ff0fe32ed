"""Signed checkpoints of the audit log: its size and Merkle head, as a C2SP signed note.

A checkpoint is the C2SP tlog-checkpoint format (https://c2sp.org/tlog-checkpoint) with one
extension line, the time it was signed, and one Ed25519 signature line as a signed note
(https://c2sp.org/signed-note) makes it:

    mediated-access-desk/audit-log
    12345
    3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
    time 2026-12-01T21:00:00Z

    — mediated-access-desk/audit-log Ab3x…

The lines above the blank line are the text signed, newline included: the origin (the log's
name), the number of rows, the RFC 6962 head of those rows in base64, and the time. The
signature line is an em dash, the key's name, and base64 of the key's 4-byte id followed by
the 64-byte signature; the id is the first 4 bytes of SHA-256(name, newline, 0x01, public key).
Signature lines by other keys (a witness's cosignature) are kept and ignored.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ORIGIN = "mediated-access-desk/audit-log"
DASH = "\u2014 "
ED25519 = b"\x01"  # the signed-note signature type of an Ed25519 key
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class BadCheckpoint(ValueError):
    """A checkpoint that cannot be read, or is not signed by the key it is checked with."""


@dataclass(frozen=True)
class Checkpoint:
    """The log's first `size` rows have the Merkle head `root`, as signed at `signed_at`."""

    size: int
    root: bytes
    signed_at: datetime
    key_id: bytes = b""

    def body(self) -> str:
        """The text the signature is over."""
        root = base64.b64encode(self.root).decode()
        return f"{ORIGIN}\n{self.size}\n{root}\ntime {self.signed_at.strftime(TIME_FORMAT)}\n"

    def when(self) -> str:
        """When it was signed, for people: `2026-12-01 21:00 UTC`."""
        return self.signed_at.strftime("%Y-%m-%d %H:%M UTC")


def key_id(public_key: Ed25519PublicKey, name: str = ORIGIN) -> bytes:
    """The signed-note id of a key: 4 bytes, so a note's signatures can be told apart."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + raw).digest()[:4]


def sign(checkpoint: Checkpoint, private_key: Ed25519PrivateKey) -> str:
    """The checkpoint as a signed note."""
    body = checkpoint.body()
    signature = private_key.sign(body.encode())
    line = base64.b64encode(key_id(private_key.public_key()) + signature).decode()
    return f"{body}\n{DASH}{ORIGIN} {line}\n"


def open_note(text: str, public_key: Ed25519PublicKey) -> Checkpoint:
    """The checkpoint a note holds, if the key signed it; BadCheckpoint says why not."""
    body, blank, signatures = text.partition("\n\n")
    if not blank or not signatures.endswith("\n"):
        raise BadCheckpoint("it is not a signed note (no blank line before the signature)")
    body += "\n"
    wanted = key_id(public_key)
    for line in signatures.removesuffix("\n").split("\n"):
        name, _, encoded = line.removeprefix(DASH).partition(" ")
        if not line.startswith(DASH) or name != ORIGIN:
            continue
        try:
            signed = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        if signed[:4] != wanted:
            continue
        try:
            public_key.verify(signed[4:], body.encode())
        except InvalidSignature:
            raise BadCheckpoint("its signature does not verify: it was altered or forged") from None
        return _parse_body(body, wanted)
    raise BadCheckpoint("it carries no signature by the desk's key")


def _parse_body(body: str, signer: bytes) -> Checkpoint:
    lines = body.removesuffix("\n").split("\n")
    if len(lines) < 4 or lines[0] != ORIGIN:
        raise BadCheckpoint("it is not a checkpoint of the desk's audit log")
    size, root, *extensions = lines[1:]
    times = [line.removeprefix("time ") for line in extensions if line.startswith("time ")]
    try:
        root_hash = base64.b64decode(root, validate=True)
        if not size.isdigit() or len(root_hash) != 32 or len(times) != 1:
            raise ValueError(body)
        signed_at = datetime.strptime(times[0], TIME_FORMAT).replace(tzinfo=UTC)
    except (ValueError, binascii.Error):
        raise BadCheckpoint("its size, root or time cannot be read") from None
    return Checkpoint(int(size), root_hash, signed_at, signer)


def _key_text(value: str) -> bytes:
    """The PEM a setting holds: the key itself, or the path of a file holding it."""
    if value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    return Path(value).expanduser().read_bytes()


def signing_key(value: str) -> Ed25519PrivateKey:
    """The Ed25519 private key of DESK_AUDIT_SIGNING_KEY (PEM, or the path of a PEM file)."""
    key = serialization.load_pem_private_key(_key_text(value), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def verify_key(value: str) -> Ed25519PublicKey:
    """The Ed25519 public key of DESK_AUDIT_VERIFY_KEY (PEM, or the path of a PEM file)."""
    pem = _key_text(value)
    if b"PRIVATE KEY" in pem:
        return signing_key(pem.decode()).public_key()
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def new_signing_key() -> str:
    """A new Ed25519 private key, as PEM."""
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
