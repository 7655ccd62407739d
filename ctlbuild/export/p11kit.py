"""``p11-kit``: a ``.p11-kit`` persistence file for p11-kit's trust module (``trust anchor
--store``, or a file in one of the module's ``paths``, e.g. /etc/pki/ca-trust/source/).

Each anchor is a ``[p11-kit-object-v1]`` certificate object, ``trusted: true``, followed by an
attached extension object (``class: x-certificate-extension``, keyed by the certificate's
public key) holding an ExtendedKeyUsage extension that lists the purposes the CTL trusts it
for: p11-kit's way to restrict an anchor's purposes (``trust extract`` honours it). A
NotBefore for server or e-mail authentication becomes NSS's ``nss-server-distrust-after`` /
``nss-email-distrust-after`` (a UTCTime, as Mozilla's certdata carries it). A distrusted
certificate (a disallowed list) is written ``x-distrusted: true``: a blocklist entry.
"""

from __future__ import annotations

from asn1crypto import core
from asn1crypto import x509 as ax509

from ..oids import EKU
from .plan import BLOCKLIST, Capabilities, Decision
from .writing import Job, file_header, one_line, pem, spki_der

SERVER, EMAIL = EKU["server_auth"], EKU["email_protection"]
CAPABILITIES = Capabilities(purposes=True, distrust_after=frozenset({SERVER, EMAIL}), blocklist=True,
                            friendly_name=True)
_DISTRUST_AFTER = {SERVER: "nss-server-distrust-after", EMAIL: "nss-email-distrust-after"}
_EKU_EXTENSION = "2.5.29.37"
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -_.,()/:'+=@")


def write(job: Job) -> list[tuple[str, bytes]]:
    parts = [file_header(job, "p11-kit trust objects")]
    for d in job.decisions:
        parts.append(_blocklisted(d) if d.action == BLOCKLIST else _anchor(d))
    return [("", "".join(parts).encode("utf-8"))]


def _anchor(d: Decision) -> str:
    lines = ["", f"# {one_line(d.label)} (SHA-1 {d.cert.sha1.hex()})", "[p11-kit-object-v1]",
             "class: certificate", "certificate-type: x-509", f"label: {quote(d.label.encode('utf-8'))}",
             "trusted: true", "x-distrusted: false"]
    for purpose, when in d.distrust_after:
        lines.append(f"{_DISTRUST_AFTER[purpose]}: {quote(_utc_time(when))}")
    text = "\n".join(lines) + "\n" + pem(d.cert.der)
    return text + _purposes(d)


def _purposes(d: Decision) -> str:
    extension = ax509.Extension({"extn_id": _EKU_EXTENSION, "critical": False,
                                 "extn_value": ax509.ExtKeyUsageSyntax(list(d.purposes))})
    spki = spki_der(d.cert.der)
    lines = ["", "[p11-kit-object-v1]", "class: x-certificate-extension",
             f"label: {quote(d.label.encode('utf-8'))}", f"object-id: {_EKU_EXTENSION}",
             f"value: {quote(extension.dump())}"]
    return "\n".join(lines) + "\n" + pem(spki, "PUBLIC KEY")


def _blocklisted(d: Decision) -> str:
    lines = ["", f"# {one_line(d.label)} (SHA-1 {d.cert.sha1.hex()}): distrusted", "[p11-kit-object-v1]",
             "class: certificate", "certificate-type: x-509", f"label: {quote(d.label.encode('utf-8'))}",
             "trusted: false", "x-distrusted: true"]
    return "\n".join(lines) + "\n" + pem(d.cert.der)


def quote(raw: bytes) -> str:
    """A p11-kit persistence value: a quoted string, every byte outside a safe set as %XX."""
    return '"' + "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in raw) + '"'


def _utc_time(when) -> bytes:
    """NSS's distrust-after value: the UTCTime's characters (YYMMDDHHMMSSZ)."""
    return core.UTCTime(when).contents
