"""Turning what exists — a CTL, a cabinet, a serialized store, certificates — into a list.

>>> from ctlbuild.lists.importer import import_source
>>> result = import_source(read_source(Path("authroot.stl")), list_dir=Path("lists"))  # doctest: +SKIP
>>> print(result.text)                                                                  # doctest: +SKIP

The library decides what the list says and which certificate files go with it;
the CLI writes them. Nothing the source carries is dropped: what has no field
stays verbatim (base64 with its OID) and is named in ``warnings``.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ..ctl import attributes
from ..errors import FormatError, UsageError
from ..formats.certificates import CertInfo
from ..formats.sniff import CAB
from ..model import IDENTIFIER_SIZES, Entry, TrustList
from ..oids import HashAlg
from .sources import Source
from .writer import write_list

#: Store properties that are facts about the certificate, recomputed on every write.
_DERIVED_PROPS = {attributes.SHA1.prop_id}


@dataclass
class ImportResult:
    text: str
    #: Certificate files to write beside the list: relative path → PEM bytes.
    cert_files: dict[str, bytes] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    entry_count: int = 0


def import_source(source: Source, *, list_dir: Path, name: str | None = None, kind: str | None = None,
                  this_update: datetime | None = None, certs_dir: Path | None = None,
                  certs_from: list[bytes] | None = None) -> ImportResult:
    """``certs_dir``: where to write certificates the source carries (relative to the list
    when it can be); ``certs_from``: certificates to match CTL entries against, so that
    entries become ``cert = …`` and their hashes are computed, not copied."""
    if source.trust_list is not None:
        tl = replace(source.trust_list, name=name or list_name_for(source.path, source.kind))
        # A store may carry the certificates of the CTL it holds.
        certs = _match(tl, [*(certs_from or []), *source.certificates])
    else:
        if this_update is None:
            raise UsageError(f"{source.path} carries no date for the list").because("this_update")
        tl, certs = _from_certificates(source, name or list_name_for(source.path, source.kind), kind or "trusted",
                                       this_update)
    tl, renamed = _list_name(tl, given=name)
    _check_expressible(tl, source.path)
    cert_paths, files = _cert_files(certs, list_dir, certs_dir)
    text, warnings = write_list(tl, cert_paths, source=str(source.path))
    return ImportResult(text, files, sorted(warnings + renamed), len(tl.entries))


def list_name_for(path: Path, kind: str) -> str:
    """The one rule for an imported list's name (README, *import*): the source's file name up
    to its first dot, whatever the source is (.stl, .cab, .sst, PEM, folder); a cabinet
    loses the "stl" Windows Update puts after the list's name, so that authrootstl.cab and
    the authroot.stl inside it give the same list, which builds authrootstl.cab again.

    >>> list_name_for(Path("authrootstl-2018-06-19.cab"), "cab"), list_name_for(Path("roots.sst"), "sst")
    ('authroot-2018-06-19', 'roots')
    """
    stem = Path(path).name.split(".")[0]
    if kind == CAB:
        stem = re.sub(r"(?i)stl(?=$|[-_ ])", "", stem, count=1) or stem
    return stem or "imported"


def _check_expressible(tl: TrustList, path) -> None:
    """Refuse, rather than write, a list that would not load: a subject algorithm no
    list field names, or identifiers of the wrong size for it (a CTL may say anything)."""
    size = IDENTIFIER_SIZES.get(tl.subject_algorithm)
    if size is None:
        raise FormatError(f"subject algorithm {tl.subject_algorithm} has no list field (sha1, sha256 or "
                          "disallowed_hash); the CTL cannot be imported", path=path)
    for n, entry in enumerate(tl.entries, 1):
        if len(entry.identifier) != size:
            raise FormatError(f"entry #{n} ({entry.label[:80]}): identifier of {len(entry.identifier)} "
                              f"bytes where the subject algorithm's are {size}; the CTL cannot be imported",
                              path=path)


#: The list reader's rule for ``name`` (it names the output files).
_LIST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _list_name(tl: TrustList, given: str | None) -> tuple[TrustList, list[str]]:
    """A name the written list will load with. One given by --name must already be one;
    one taken from the source (a file or cab member name: anyone's) is made one."""
    if _LIST_NAME.fullmatch(tl.name):
        return tl, []
    if given:
        raise UsageError(f"--name {given!r}: a list name is letters, digits, '.', '_' or '-', "
                         "starting with a letter or digit (it names the output files)")
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", tl.name).lstrip("._-")[:64] or "imported"
    return replace(tl, name=safe), [f"the source's name {tl.name[:64]!r} is not a list name; "
                                    f"the list is named {safe!r} (give --name to choose)"]


def _match(tl: TrustList, ders: list[bytes]) -> dict[bytes, bytes]:
    found = {}
    for der in ders:
        info = CertInfo.from_der(der)
        for ident in {info.identifier(tl.subject_algorithm), *((info.tbs_md5,) if tl.subject_algorithm ==
                                                                 HashAlg.DISALLOWED_HASH else ())}:
            found[ident] = der
    return {e.identifier: found[e.identifier] for e in tl.entries if e.identifier in found}


def _from_certificates(source: Source, name: str, kind: str, this_update: datetime):
    contexts = source.store.certificates if source.store else [None] * len(source.certificates)
    entries, certs = [], {}
    for der, ctx in zip(source.certificates, contexts):
        info = CertInfo.from_der(der, path=source.path)
        fields, raw = _fields_from_properties(ctx.properties if ctx else ())
        entries.append(Entry(identifier=info.sha1, sha1=info.sha1, raw_attributes=tuple(raw), **fields))
        certs[info.sha1] = der
    tl = TrustList(name=name, kind=kind, this_update=this_update, entries=tuple(entries))
    return tl, certs


def _fields_from_properties(properties) -> tuple[dict, list]:
    fields, raw = {}, []
    for prop in properties:
        if prop.prop_id in _DERIVED_PROPS:
            continue
        known = attributes.BY_ID.get(prop.prop_id)
        name = known.field if known is not None else None
        typed = attributes.read_typed(prop.prop_id, prop.value) if name is not None else None
        if typed is None or name in fields:
            raw.append((attributes.PREFIX + str(prop.prop_id), prop.value))
        else:
            fields[name] = typed
    return fields, raw


def _cert_files(certs: dict[bytes, bytes], list_dir: Path, certs_dir: Path | None):
    """Where each certificate is referenced from the list, and the files to write."""
    if not certs:
        return {}, {}
    folder = Path(certs_dir) if certs_dir else Path(list_dir) / "certs"
    # relpath once for the folder, not once per file (each call makes both paths absolute).
    rel_folder = os.path.relpath(folder, list_dir)
    paths, files = {}, {}
    for ident, der in certs.items():
        name = f"{hashlib.sha1(der).hexdigest().upper()}.crt"  # checked as a certificate when matched or read
        paths[ident] = name if rel_folder == "." else os.path.join(rel_folder, name)
        files[str(folder / name)] = _pem(der)
    return paths, files


def _pem(der: bytes) -> bytes:
    import base64
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode()
