"""Sealed verification records: the public site holds one per transcript, readable only with its code.

A record's file name is a hash of the code, and its contents are encrypted with a key derived from the
code, so a full copy of the site lists no one and reads nothing; whoever holds a transcript's code (printed
on it, and in its QR) finds and opens that one record. The verification page does the same in the browser
with WebCrypto (``site/docs/assets/javascripts/sealed.js``, used by ``verify.js`` and ``me.js``), with nothing but
static files.

    name  = hex(SHA-256("dekt-verify/1 name\\0" + code))[:32]          → in verify/<name[:k]>.json
    key   = HKDF-SHA256(code, salt "dekt-verify/1", info "aes-256-gcm")  (32 bytes)
    nonce = HMAC-SHA256(HKDF(…, info "nonce"), plaintext)[:12]          (deterministic and unique per content)
    data  = AES-256-GCM(key, nonce, plaintext, associated data = name)

Records are kept in buckets by the first ``k`` hex digits of their name (``k`` in ``verify/index.json``,
chosen so a bucket holds a few dozen records): every bucket exists, even empty, so looking up a wrong code
fetches a file that is there (no 404 in the console, and the host's log shows only a bucket, not a record).

The code carries 80 random-looking bits (a hash of the transcript), so guessing codes to find records is
out of reach, and a plain HKDF suffices. The nonce is derived from the plaintext (the SIV idea): the same
record always gives the same bytes (a reproducible site), and two different records under one code never
share a nonce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..transcript.canonical import canonical_json

FORMAT = "dekt-sealed/1"
_DOMAIN = b"dekt-verify/1"


def record_name(code: str) -> str:
    """The file name stem of a code's record (32 hex digits)."""
    return hashlib.sha256(_DOMAIN + b" name\0" + code.encode("ascii")).hexdigest()[:32]


def _derive(code: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_DOMAIN, info=info).derive(code.encode("ascii"))


def seal(code: str, record: dict) -> tuple[str, dict]:
    """The record sealed under ``code``: its name and the sealed entry (``iv`` and ``data``, base 64)."""
    name = record_name(code)
    plaintext = canonical_json(record)
    nonce = hmac.new(_derive(code, b"nonce"), plaintext, hashlib.sha256).digest()[:12]
    data = AESGCM(_derive(code, b"aes-256-gcm")).encrypt(nonce, plaintext, name.encode("ascii"))
    return name, {"iv": base64.b64encode(nonce).decode(), "data": base64.b64encode(data).decode()}


def prefix_length(count: int) -> int:
    """How many hex digits name a bucket: enough that a bucket holds at most 32 records on average."""
    return next(k for k in (1, 2, 3, 4) if count <= 32 * 16**k or k == 4)


def seal_all(records: list[tuple[str, dict]]) -> dict[str, bytes]:
    """Every file of ``verify/`` for these (code, record) pairs: ``index.json`` and each bucket, empty ones too."""
    k = prefix_length(len(records))
    buckets: dict[str, dict] = {f"{i:0{k}x}": {} for i in range(16**k)}
    for code, record in records:
        name, entry = seal(code, record)
        buckets[name[:k]][name] = entry
    files = {"index.json": json.dumps({"format": FORMAT, "prefix": k}).encode("ascii") + b"\n"}
    for key, entries in buckets.items():
        files[f"{key}.json"] = (
            json.dumps({"format": FORMAT, "records": entries}, sort_keys=True, separators=(",", ":")).encode("ascii")
            + b"\n"
        )
    return files


def unseal(code: str, entry: dict) -> dict | None:
    """The sealed entry opened with ``code``, or None when the code does not open it."""
    from cryptography.exceptions import InvalidTag

    try:
        nonce, data = base64.b64decode(entry["iv"]), base64.b64decode(entry["data"])
        plaintext = AESGCM(_derive(code, b"aes-256-gcm")).decrypt(nonce, data, record_name(code).encode("ascii"))
    except (ValueError, KeyError, TypeError, InvalidTag):
        return None
    return json.loads(plaintext)


def find(folder, code: str) -> dict | None:
    """The record for ``code`` in a ``verify/`` folder, opened, or None when there is none."""
    folder = Path(folder)
    try:
        k = json.loads((folder / "index.json").read_bytes())["prefix"]
        name = record_name(code)
        entry = json.loads((folder / f"{name[:k]}.json").read_bytes())["records"].get(name)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return unseal(code, entry) if entry else None
