"""What a file is, told by its content and never by its name: the one input sniffer.

>>> from ctlbuild.formats.sniff import sniff
>>> sniff(b"MSCF" + bytes(40)), sniff(b"\\0\\0\\0\\0CERT" + bytes(12))
('cab', 'sst')
>>> sniff(b'name = "demo"\\nkind = "disallowed"\\n')
'list'

Every reading command goes through ``sniff``, so a .stl renamed .crt, a cabinet saved
as .bin or a list without its .toml are read for what they are.
"""

from __future__ import annotations

from ..ctl import der
from ..oids import ContentType
from .cab import is_cab

CAB, SST, STL, CTL, LIST, CERTS = "cab", "sst", "stl", "ctl", "list", "certs"


def sniff(data: bytes) -> str:
    """``cab`` (a cabinet), ``sst`` (a serialized store), ``stl`` (a signed CTL), ``ctl`` (a
    bare CertificateTrustList, ``build --content-only``), ``list`` (a declarative list), or
    ``certs`` (PEM or DER certificates; what is none of these is judged as certificates,
    whose reader says what is wrong with it)."""
    from .sst import is_sst  # the store's reader (its dataclasses) only once a file is sniffed

    if is_cab(data):
        return CAB
    if is_sst(data):
        return SST
    if is_signed_data(data):
        return STL
    if data[:1] == b"\x30":
        from .certificates import looks_like_certificate  # cryptography: only for DER

        if not looks_like_certificate(data):
            return CTL
    if looks_like_list(data):
        return LIST
    return CERTS


_SIGNED_DATA = der.oid(ContentType.SIGNED_DATA)


def is_signed_data(data: bytes) -> bool:
    """A SEQUENCE that opens with the SignedData OID: how a signed CTL is recognised.
    (Here, not in formats.stl, so that sniffing a list imports neither asn1crypto nor
    cryptography.)"""
    try:
        _t, start, _e = der.read_tlv(data, 0)
    except der.DerError:
        return False
    return data[start:start + len(_SIGNED_DATA)] == _SIGNED_DATA


def looks_like_list(data: bytes) -> bool:
    """A declarative list: UTF-8 text with TOML assignments of ``name`` or ``kind``, no PEM armour."""
    if b"-----BEGIN" in data or b"\0" in data[:4096]:
        return False
    try:
        text = data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(line.split("=", 1)[0].strip() in ("name", "kind") for line in text.splitlines() if "=" in line)
