"""Declarative lists (TOML) → validated trust list model, every mistake located.

>>> from ctlbuild.lists.reader import load_list
>>> loaded = load_list("examples/diginotar-kb2616676.toml")
>>> loaded.trust_list.name, len(loaded.trust_list.entries)
('diginotar-kb2616676', 11)

Reading is split from checking: the TOML reader gives plain values (``locator``);
``header`` and ``entries`` check them through one ``validators.Checker``, which
looks back into the text for the line to name only on a mistake.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .._gc import paused as gc_paused
from ..errors import ListError
from ..limits import as_path, shown_path
from ..model import AlikeEntries, TrustList
from .bounded import read_list_file
from .entries import read_entries
from .header import OUTPUTS, SignerSpec, read_header
from .locator import parse_toml
from .validators import Checker


@dataclass(frozen=True)
class LoadedList:
    trust_list: TrustList
    path: Path
    sha256: str
    signer: SignerSpec | None = None
    outputs: tuple[str, ...] = OUTPUTS
    previous: tuple[Path, ...] = ()
    #: Put the signed CTL into the .sst as well.
    sst_include_ctl: bool = False


def load_list(path, text: str | None = None, *, raw: bytes | None = None) -> LoadedList:
    """The list at ``path``; ``text`` or ``raw`` (its bytes) when the caller has read it already."""
    path = as_path(path)
    if text is None:
        if raw is None:
            raw = read_list_file(path)
        path = shown_path(path)  # `build -`: messages name <stdin>; relative paths are the current folder's
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ListError(f"not UTF-8 (byte {exc.start})", path=path) from None
    else:
        raw = text.encode()
    with gc_paused():  # one dict and one Entry per entry, none of them cyclic
        data = parse_toml(text, path)
        return _assemble(Checker(path, text), data, hashlib.sha256(raw).hexdigest())


def _assemble(check: Checker, d: dict, digest: str) -> LoadedList:
    header = read_header(check, d)
    entries = read_entries(check, header.subject_algorithm, header.cert_properties, d.get("entry", []),
                           d.get("defaults", {}))
    if not entries:
        check.fail("the list has no entries (add [[entry]] tables)", None)
    try:
        tl = TrustList(
            name=header.name, kind=header.kind, this_update=header.this_update, next_update=header.next_update,
            # a thumbprint file's run stays one AlikeEntries (encoded by one byte template)
            entries=entries if isinstance(entries, AlikeEntries) else tuple(entries),
            identifier=header.identifier, sequence=header.sequence,
            usages=header.usages, subject_algorithm=header.subject_algorithm, extensions=header.extensions,
            advisory=header.advisory, opus=header.opus)
    except ValueError as exc:
        check.fail(str(exc), None)
    return LoadedList(tl, check.path, digest, header.signer, outputs=header.outputs, previous=header.previous,
                      sst_include_ctl=header.sst_include_ctl)


