"""Reading a CTL from a file, whatever carries it (detected by content, not by name).

>>> from ctlbuild.readers import read_ctl
>>> source = read_ctl(Path("authroot.stl"))     # doctest: +SKIP
>>> source.trust_list.entries[0].friendly_name   # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from cryptography import x509

from . import der
from .decode import decode_ctl
from .envelope import SignedCtl, parse_signed_ctl
from .errors import FormatError
from .model import TrustList
from .oids import ContentType, HashAlg

_SIGNED_DATA = der.oid(ContentType.SIGNED_DATA)
_DIGEST_NAMES = {HashAlg.SHA1: "sha1", HashAlg.SHA256: "sha256", HashAlg.SHA384: "sha384",
                 HashAlg.SHA512: "sha512", HashAlg.MD5: "md5"}


@dataclass
class CtlSource:
    path: Path
    trust_list: TrustList
    signed: SignedCtl | None  # None for an unsigned CTL (build --content-only)

    def signers(self) -> list[dict]:
        return signer_summaries(self.signed) if self.signed else []


def read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read ({exc.strerror})", path=path) from None


def read_ctl(path: Path, progress: Callable[[int], None] | None = None) -> CtlSource:
    data = read_bytes(path)
    name = Path(path).name.split(".")[0] or "ctl"
    if _is_signed_data(data):
        signed = parse_signed_ctl(data, path=path)
        tl = decode_ctl(signed.ctl_der, name=name, path=path, base=signed.ctl_offset, progress=progress)
        return CtlSource(Path(path), tl, signed)
    if data[:1] == b"\x30":
        return CtlSource(Path(path), decode_ctl(data, name=name, path=path, progress=progress), None)
    raise FormatError("not a CTL (expected DER PKCS#7 SignedData or a bare CertificateTrustList)",
                      path=path, offset=0)


def _is_signed_data(data: bytes) -> bool:
    try:
        _t, start, _e = der.read_tlv(data, 0)
    except der.DerError:
        return False
    return data[start:start + len(_SIGNED_DATA)] == _SIGNED_DATA


def signer_summaries(signed: SignedCtl) -> list[dict]:
    """Who signed: subject, issuer and serial of each SignerInfo's certificate."""
    by_sid = {}
    for cert in signed.certificates:
        by_sid[(cert.issuer.dump(), cert.serial_number)] = cert
    out = []
    for info in signed.signer_infos:
        sid = info["sid"]
        cert = None
        if sid.name == "issuer_and_serial_number":
            cert = by_sid.get((sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native))
        digest = _DIGEST_NAMES.get(info["digest_algorithm"]["algorithm"].dotted,
                                   info["digest_algorithm"]["algorithm"].dotted)
        if cert is None:
            out.append({"subject": "(certificate not embedded)", "issuer": "", "serial": None, "digest": digest})
            continue
        parsed = x509.load_der_x509_certificate(cert.dump())
        out.append({"subject": _cn(parsed.subject), "issuer": _cn(parsed.issuer),
                    "serial": format(parsed.serial_number, "x"), "digest": digest,
                    "not_after": parsed.not_valid_after_utc.isoformat().replace("+00:00", "Z")})
    return out


def _cn(name: x509.Name) -> str:
    cns = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else name.rfc4514_string()
