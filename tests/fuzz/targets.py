"""Fuzz targets: every reader given arbitrary bytes must return a result or raise a
ctlbuild error (one line, exit 2 at the CLI) — never anything else, never hang.

Shared by the short hypothesis run in the suite (tests/test_fuzz.py) and the long
atheris run (``make fuzz``, tests/fuzz/run_atheris.py)."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ctlbuild.ctl.decode import decode_ctl, decode_header
from ctlbuild.errors import CtlbuildError
from ctlbuild.formats.cab import read_cab
from ctlbuild.formats.certificates import load_certificates
from ctlbuild.formats.sst import read_sst, write_sst
from ctlbuild.formats.stl import nested_signer_facts, parse_signed_ctl
from ctlbuild.lists.reader import load_list
from ctlbuild.lists.sources import read_source
from ctlbuild.reports.verifyview import verify_data
from ctlbuild.verify.verifier import verify_ctl

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)
_TMP = Path(tempfile.mkdtemp(prefix="ctlbuild-fuzz-"))


def ctl(data: bytes) -> None:
    try:
        signed = parse_signed_ctl(data)
        decode_ctl(signed.ctl_der)
    except CtlbuildError:
        pass
    try:
        tl = decode_ctl(data)
        decode_header(data)
        assert tl is not None
    except CtlbuildError:
        pass


def verify(data: bytes) -> None:
    # verify never raises for a bad file: a broken structure is a failed finding; its JSON
    # (certificate facts read lazily, names escaped) renders whatever the file held.
    json.dumps(verify_data(verify_ctl(data, [], NOW)), ensure_ascii=False).encode("utf-8")


def sst(data: bytes) -> None:
    try:
        store = read_sst(data)
    except CtlbuildError:
        return
    assert write_sst(store) == data  # whatever is accepted is kept exactly


def cab(data: bytes) -> None:
    try:
        read_cab(data)
    except CtlbuildError:
        pass


def pem(data: bytes) -> None:
    try:
        load_certificates(data)
    except CtlbuildError:
        pass


def listfile(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        load_list(_TMP / "fuzz.toml", text)
    except CtlbuildError:
        pass


def source(data: bytes) -> None:
    """Content sniffing: whatever a reading command is given."""
    path = _TMP / "fuzz.bin"
    path.write_bytes(data)
    try:
        src = read_source(path)
        if src.signed is not None:  # what show and diff print of who signed
            src.signers()
            nested_signer_facts(src.signed)
    except CtlbuildError:
        pass


def nested(data: bytes) -> None:
    """The signed-CTL envelope (nested signatures, deep or wide) through both readers."""
    try:
        parse_signed_ctl(data)
    except CtlbuildError:
        pass
    verify(data)


TARGETS = {"ctl": ctl, "verify": verify, "sst": sst, "cab": cab, "pem": pem, "list": listfile,
           "source": source, "nested": nested}


def hostile_seeds(target: str) -> list[bytes]:
    """Small inputs at (or just past) each reader's limits, generated here: what the
    fuzzers mutate besides the real files, so that they search around the caps."""
    from tests.bounded import cab_bomb, nested_signatures, sst_of_empty_properties
    head = 'name = "f"\nkind = "disallowed"\nthis_update = 2024-01-01T00:00:00Z\n'
    entry = '[[entry]]\nsha1 = "' + "ab" * 20 + '"\n'
    seeds = {
        "cab": [cab_bomb(folders=80), cab_bomb(members=80), cab_bomb(blocks=1, inflate_to=1 << 20),
                cab_bomb(blocks=1, block_uncompressed=40000), cab_bomb(blocks=2)],
        "sst": [sst_of_empty_properties(1100), sst_of_empty_properties(3000, per_context=3)],
        "nested": [nested_signatures(depth=10), nested_signatures(depth=3, width=50), nested_signatures(depth=2)],
        "list": [(head + body + entry).encode() for body in (
            ".".join(["a"] * 3000) + " = 1\n", "sequence = " + "9" * 5000 + "\n",
            "usages = " + "[" * 300 + "]" * 300 + "\n", "x = { " * 200 + "}" * 200 + "\n")]
        + [(head + '[[entry]]\ncert = "/dev/zero"\n').encode(),
           (head + '[[entry]]\nthumbprints = "/dev/zero"\n').encode()],
    }
    return seeds.get(target, [])
