"""Fuzz targets: every reader given arbitrary bytes must return a result or raise a
ctlbuild error (one line, exit 2 at the CLI) — never anything else, never hang.

Shared by the short hypothesis run in the suite (tests/test_fuzz.py) and the long
atheris run (``make fuzz``, tests/fuzz/run_atheris.py)."""

from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ctlbuild.ctl.decode import decode_ctl, decode_header
from ctlbuild.errors import CtlbuildError
from ctlbuild.formats.cab import read_cab
from ctlbuild.formats.certificates import load_certificates
from ctlbuild.formats.sst import read_sst, write_sst
from ctlbuild.formats.stl import parse_signed_ctl
from ctlbuild.lists.reader import load_list
from ctlbuild.lists.sources import read_source
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
    # verify never raises for a bad file: a broken structure is a failed finding
    verify_ctl(data, [], NOW)


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
        read_source(path)
    except CtlbuildError:
        pass


TARGETS = {"ctl": ctl, "verify": verify, "sst": sst, "cab": cab, "pem": pem, "list": listfile,
           "source": source}
