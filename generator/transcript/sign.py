"""The institution's digital signature on a transcript: PAdES with pyHanko, checked offline with its root certificate.

Signing is an incremental update: the unsigned PDF/A-3 (byte-reproducible, its SHA-256 in the register) stays the
file's first revision, byte for byte, and the signature (a CMS object over the whole file) is appended after it;
the PDF/A identification and the ``transcript.json`` attachment are in the first revision and are not touched.

The certificate is configured by environment variables, never by a file in the repository:

* ``DEKT_SIGN_PKCS12`` — a PKCS#12 file (certificate, its chain and private key);
* ``DEKT_SIGN_PKCS12_PASSWORD`` — its password (may be empty).

``check`` answers three questions with nothing but the file and, optionally, the institution's root certificate:
is the signature intact over every byte; does the signer chain to that root; and did the signing revision (and
anything after it) change nothing but the signature field (pyHanko's difference analysis from the first
revision). No network is used: no certificate is fetched, revocation is not looked up (the README says what a
school adds for long-term validation).
"""

from __future__ import annotations

import io
import logging
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import DektError

ENV_PKCS12 = "DEKT_SIGN_PKCS12"
ENV_PASSWORD = "DEKT_SIGN_PKCS12_PASSWORD"
FIELD = "DektSignature"


@dataclass(frozen=True)
class Signature:
    """What a PDF's signature says: intact over the file and changing nothing else; trusted by the root given."""

    intact: bool
    trusted: bool | None  # None: no root certificate was given
    signer: str
    signed_at: str | None
    zh: str = ""
    en: str = ""


def configured() -> tuple[str, bytes] | None:
    """The PKCS#12 path and password from the environment, or None when signing is not configured."""
    path = os.environ.get(ENV_PKCS12)
    if not path:
        return None
    if not Path(path).is_file():
        raise DektError(f"签名证书文件不存在：{path}（{ENV_PKCS12}） (the signing certificate file does not exist)")
    return path, os.environ.get(ENV_PASSWORD, "").encode("utf-8")


def load_signer(config: tuple[str, bytes]):
    """A pyHanko signer from a PKCS#12 file; a clear error when it cannot be opened."""
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load_pkcs12(config[0], passphrase=config[1] or None)
    if signer is None:
        raise DektError(
            f"无法打开签名证书 {config[0]}（密码错误或文件损坏） "
            "(cannot open the PKCS#12 file: wrong password or damaged)"
        )
    return signer


def signer_id(config: tuple[str, bytes] | None) -> str:
    """The SHA-256 of the signing certificate (what a kept PDF must have been signed with), or "" unsigned."""
    if config is None:
        return ""
    return load_signer(config).signing_cert.sha256.hex()


def sign_pdf(body: bytes, signer) -> bytes:
    """``body`` with a PAdES signature appended as an incremental update (``body`` stays its first revision)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(body), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason="第二课堂成绩单签发 / transcript issued",
    )
    try:  # room for a CMS object of 8 KiB (a chain of three RSA-2048 certificates fits): no trial signature to size it
        signed = signers.sign_pdf(writer, meta, signer=signer, bytes_reserved=16384).getvalue()
    except Exception:  # noqa: BLE001 — a larger chain: let pyHanko measure it (twice the work, once in a while)
        writer = IncrementalPdfFileWriter(io.BytesIO(body), strict=False)
        signed = signers.sign_pdf(writer, meta, signer=signer).getvalue()
    if not signed.startswith(body):  # the unsigned revision must survive byte for byte: it is what the register holds
        raise DektError("签名改动了原文件 (signing rewrote the unsigned revision)")
    return signed


def unsigned_candidates(body: bytes) -> list[bytes]:
    """The first revision of a file with incremental updates: the bytes through its first ``%%EOF`` (with or
    without the end-of-line after it; a caller compares each against the SHA-256 it holds)."""
    m = re.search(rb"%%EOF", body)
    if m is None or m.end() == len(body):
        return []
    end = m.end()
    out = [body[:end]]
    for eol in (b"\r\n", b"\n", b"\r"):
        if body.startswith(eol, end):
            out.append(body[: end + len(eol)])
    return out


def unsigned_revision(body: bytes) -> bytes | None:
    """The longest candidate for the unsigned first revision (see ``unsigned_candidates``), or None."""
    found = unsigned_candidates(body)
    return found[-1] if found else None


@contextmanager
def _quiet():
    """pyHanko logs a failed check with its traceback; the verdict is reported by dekt, once."""
    loggers = [logging.getLogger(n) for n in ("pyhanko", "pyhanko_certvalidator")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def check(body: bytes, trust: Path | None = None) -> Signature | None:
    """The signature of a PDF, checked offline (``trust``: a PEM root certificate); None when it has none."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(body), strict=False)
        sigs = reader.embedded_signatures
    except Exception:  # noqa: BLE001 — not a PDF pyHanko can read (it raises many kinds): the other checks say so
        return None
    if not sigs:
        return None
    roots = []
    if trust is not None:
        from asn1crypto import pem, x509

        data = Path(trust).read_bytes()
        for _kind, _headers, der in pem.unarmor(data, multiple=True) if pem.detect(data) else [(None, None, data)]:
            roots.append(x509.Certificate.load(der))
    sig = sigs[-1]
    try:
        ctx = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        with _quiet():
            status = validate_pdf_signature(sig, ctx)
    except Exception as exc:  # noqa: BLE001 — any failure to validate is a failed check, reported with its reason
        return Signature(
            False, False if trust else None, "?", None, f"无法核验签名：{exc}", f"cannot check the signature: {exc}"
        )
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else "?"
    when = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    trusted = bool(status.trusted) if trust is not None else None
    if len(sigs) != 1 or not status.intact or not status.valid or status.coverage.name != "ENTIRE_FILE":
        return Signature(False, trusted, signer, when, "签名与文件内容不符，或未覆盖整个文件",
                         "the signature does not match the file's bytes, or does not cover the whole file")  # fmt: skip
    # From the unsigned first revision to the end, only the signature itself may have been added.
    with _quiet():
        diff = DEFAULT_DIFF_POLICY.review_file(reader, 0)
    level = getattr(diff, "modification_level", None)
    if level is None or level > ModificationLevel.FORM_FILLING:
        return Signature(
            False,
            trusted,
            signer,
            when,
            "签名之外还改动了文档内容",
            "the document was changed beyond adding the signature",
        )
    if trust is not None and not trusted:
        return Signature(
            True,
            False,
            signer,
            when,
            f"签名者 {signer} 不能链接到所给的根证书",
            f"{signer} does not chain to the given root",
        )
    return Signature(True, trusted, signer, when)


def throwaway_ca(folder: Path, institution: str) -> tuple[Path, Path, str]:
    """THE DEMO'S THROWAWAY certificates, made now with the cryptography library: a root CA and a signing
    certificate for ``institution``; returns (the root's PEM, the signer's PKCS#12, its password). Never use
    them for real transcripts: a school's certificate comes from a licensed CA (see the README)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, cn),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "DEMO ONLY — throwaway, not a real CA"),
            ]
        )

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("dekt demo root CA (throwaway)"))
        .issuer_name(name("dekt demo root CA (throwaway)"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(f"{institution} (demo signer, throwaway)"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    password = "demo-throwaway"
    root_pem, p12 = folder / "demo-root-ca.pem", folder / "demo-signer.p12"
    root_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"dekt-demo", key, cert, [ca], serialization.BestAvailableEncryption(password.encode())
        )
    )
    return root_pem, p12, password
