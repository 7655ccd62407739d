"""Reading a CTL from a file, whatever carries it (detected by content, not by name).

>>> from ctlbuild.lists.sources import read_source
>>> source = read_source(Path("authrootstl.cab"))   # doctest: +SKIP
>>> source.kind, source.trust_list.entries[0].friendly_name   # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from cryptography import x509

from ..ctl import der
from ..ctl.decode import decode_ctl
from ..errors import FormatError
from ..formats.cab import ctl_member, is_cab
from ..formats.certificates import CertInfo, common_name, load_certificates
from ..formats.sst import SerializedStore, is_sst, read_sst
from ..formats.stl import SignedCtl, parse_signed_ctl
from ..limits import MAX_INPUT_FILE, TooBig, read_capped
from ..model import TrustList
from ..oids import ContentType, HashAlg
from .reader import LoadedList, load_list

_SIGNED_DATA = der.oid(ContentType.SIGNED_DATA)
_DIGEST_NAMES = {HashAlg.SHA1: "sha1", HashAlg.SHA256: "sha256", HashAlg.SHA384: "sha384",
                 HashAlg.SHA512: "sha512", HashAlg.MD5: "md5"}


@dataclass
class Source:
    """Whatever a reading command was given, detected by content: a signed CTL (.stl, or
    inside a .cab or an .sst), a bare CTL (``build --content-only``), a serialized store,
    certificates (PEM/DER file or bundle, or a folder of them), or a declarative list."""

    path: Path
    kind: str  # "stl" | "cab" | "ctl" | "sst" | "certs"
    trust_list: TrustList | None = None
    signed: SignedCtl | None = None
    store: SerializedStore | None = None
    certificates: list[bytes] = field(default_factory=list)
    member: str | None = None  # the .stl's name inside a cab
    loaded: LoadedList | None = None  # for a declarative list (.toml)

    def signers(self) -> list[dict]:
        return signer_summaries(self.signed) if self.signed else []




def read_bytes(path: Path) -> bytes:
    try:
        return read_capped(path, MAX_INPUT_FILE)
    except TooBig as exc:
        raise FormatError(f"is {exc} for an input file", path=path) from None
    except IsADirectoryError:
        raise FormatError("is a folder; give a file", path=path) from None
    except OSError as exc:
        raise FormatError(f"cannot read ({exc.strerror})", path=path) from None


def read_source(path: Path, progress: Callable[[int], None] | None = None) -> Source:
    path = Path(path)
    if path.is_dir():
        return Source(path, "certs", certificates=_folder_certificates(path))
    data = read_bytes(path)
    name = path.name.split(".")[0] or "ctl"
    if is_cab(data):
        member, stl = ctl_member(data, path=path)
        source = _signed_source(Path(f"{path}:{member}"), stl, member.split(".")[0] or name, progress)
        return replace(source, path=path, kind="cab", member=member)
    if is_sst(data):
        return _sst_source(path, read_sst(data, path=path), name, progress)
    if is_signed_data(data):
        return _signed_source(path, data, name, progress)
    if data[:1] == b"\x30" and not _looks_like_certificate(data):
        return Source(path, "ctl", decode_ctl(data, name=name, path=path, progress=progress))
    if _looks_like_list(data):
        loaded = load_list(path)  # reads and decodes again, naming a bad byte cleanly
        return Source(path, "list", loaded.trust_list, loaded=loaded)
    return Source(path, "certs", certificates=load_certificates(data, path=path))


def read_ctl(path: Path, progress: Callable[[int], None] | None = None) -> Source:
    """A source that must hold a CTL (show of a list, verify, diff, import of a CTL)."""
    source = read_source(path, progress)
    if source.trust_list is None:
        raise FormatError(f"holds no CTL ({source.kind}: {len(source.certificates)} certificates)", path=path)
    return source


def signed_bytes(path: Path) -> bytes:
    """The signed CTL's bytes, out of its cabinet or store when it is in one. The bytes
    are not parsed here: verification reports a broken structure as a finding."""
    data = read_bytes(path)
    if is_cab(data):
        return ctl_member(data, path=path)[1]
    if is_sst(data):
        ctls = read_sst(data, path=path).ctls
        if len(ctls) != 1:
            raise FormatError(f"serialized store holds {len(ctls)} CTLs; verify needs exactly one", path=path)
        return ctls[0].der
    if not is_signed_data(data):
        # Not even shaped like a signed CTL: bad input (exit 2), not a failed verification.
        raise FormatError("not a signed CTL, nor a cabinet or store holding one", path=path, offset=0)
    return data


def _signed_source(path, data, name, progress) -> Source:
    signed = parse_signed_ctl(data, path=path)
    tl = decode_ctl(signed.ctl_der, name=name, path=path, base=signed.ctl_offset, progress=progress)
    return Source(Path(path), "stl", tl, signed)


def _sst_source(path, store: SerializedStore, name, progress) -> Source:
    certs = [c.der for c in store.certificates]
    if len(store.ctls) > 1:
        raise FormatError(f"serialized store holds {len(store.ctls)} CTLs; ctlbuild reads one", path=path)
    if store.ctls:
        inner = _signed_source(path, store.ctls[0].der, name, progress)
        return replace(inner, kind="sst", store=store, certificates=certs)
    return Source(path, "sst", store=store, certificates=certs)


def _looks_like_list(data: bytes) -> bool:
    """A declarative list: UTF-8 text with TOML assignments and no PEM armour."""
    if b"-----BEGIN" in data or b"\0" in data[:4096]:
        return False
    try:
        text = data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(line.split("=", 1)[0].strip() in ("name", "kind") for line in text.splitlines() if "=" in line)


def _looks_like_certificate(data: bytes) -> bool:
    try:
        CertInfo.from_der(data)
    except FormatError:
        return False
    return True


def _folder_certificates(folder: Path) -> list[bytes]:
    out = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        for cert_der in load_certificates(read_bytes(path), path=path):
            CertInfo.from_der(cert_der, path=path)  # a non-certificate file is named, not skipped
            out.append(cert_der)
    if not out:
        raise FormatError("folder holds no certificates", path=folder)
    return out


def is_signed_data(data: bytes) -> bool:
    """A SEQUENCE that opens with the SignedData OID: how a signed CTL is recognised."""
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
        out.append({"subject": common_name(parsed.subject), "issuer": common_name(parsed.issuer),
                    "serial": format(parsed.serial_number, "x"), "digest": digest,
                    "not_after": parsed.not_valid_after_utc.isoformat().replace("+00:00", "Z")})
    return out

