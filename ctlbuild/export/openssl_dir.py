"""``openssl-dir``: a folder for ``-CApath`` (``SSL_CERT_DIR``), one PEM file per root named
``<subject hash>.<n>`` as ``openssl rehash`` names them.

The name is OpenSSL's ``X509_NAME_hash``: the first four bytes of SHA-1 over the subject's
canonical encoding, read little-endian. The canonical encoding (OpenSSL ``x509_name_canon``):
each RDN's SET of AVAs without the outer SEQUENCE; a value of a string type is converted to
UTF-8, its ASCII letters lowercased, leading and trailing ASCII white space removed and inner
runs of it collapsed to one space, and re-tagged UTF8String; other values are kept as they are.
Like a bundle, the folder carries no purposes, dates or distrust.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from .plan import Capabilities
from .writing import Job, cert_comment, file_header, pem

CAPABILITIES = Capabilities(friendly_name=True, folder=True)

# UTF8String, PrintableString, T61String, IA5String, VisibleString, UniversalString, BMPString
_CODECS = {0x0C: "utf-8", 0x13: "latin-1", 0x14: "latin-1", 0x16: "latin-1", 0x1A: "latin-1",
           0x1C: "utf-32-be", 0x1E: "utf-16-be"}
_SPACE = b" \t\n\v\f\r"


def write(job: Job) -> list[tuple[str, bytes]]:
    files, seen = [], Counter()
    for d in job.decisions:
        name = subject_hash(d.cert.cert)
        text = file_header(job, "Certificate") + "\n" + cert_comment(d) + pem(d.cert.der)
        files.append((f"{name}.{seen[name]}", text.encode("utf-8")))
        seen[name] += 1
    return files


def subject_hash(cert) -> str:
    """OpenSSL's subject hash of an asn1crypto certificate, as ``openssl x509 -hash`` prints it."""
    digest = hashlib.sha1(canonical_name(cert["tbs_certificate"]["subject"])).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def canonical_name(name) -> bytes:
    rdns = name.chosen
    out = []
    for rdn in rdns:
        avas = sorted(_tlv(0x30, ava["type"].dump() + _canonical_value(ava["value"].dump())) for ava in rdn)
        out.append(_tlv(0x31, b"".join(avas)))
    return b"".join(out)


def _canonical_value(der: bytes) -> bytes:
    tag, content = der[0], _content(der)
    codec = _CODECS.get(tag)
    if codec is None:
        return der
    try:
        text = content.decode(codec).encode("utf-8")
    except UnicodeDecodeError:
        return der  # OpenSSL fails such a name; keeping the bytes at least names the file
    return _tlv(0x0C, _canon(text))


def _canon(text: bytes) -> bytes:
    words = [w for w in _split_space(text) if w]
    return b" ".join(words).translate(_LOWER)


def _split_space(text: bytes) -> list[bytes]:
    for ch in _SPACE[1:]:
        text = text.replace(bytes([ch]), b" ")
    return text.split(b" ")


_LOWER = bytes.maketrans(bytes(range(0x41, 0x5B)), bytes(range(0x61, 0x7B)))


def _content(der: bytes) -> bytes:
    first = der[1]
    if first < 0x80:
        return der[2:2 + first]
    n = first & 0x7F
    length = int.from_bytes(der[2:2 + n], "big")
    return der[2 + n:2 + n + length]


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content
