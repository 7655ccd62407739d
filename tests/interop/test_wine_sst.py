"""Serialized certificate stores against Wine's crypt32 (CertSaveStore / CertOpenStore).

Windows and Wine both *write* each certificate's properties before it (MS-OSHARED
2.3.2.5.4: a group is its properties, then the certificate), and read_sst reads
that way. Wine's *reader* (CRYPT_ReadSerializedStore, dlls/crypt32/serialize.c)
does not: it attaches a property to the previous certificate, and a property that
comes before any certificate makes it stop with an empty store (FORMATS.md §5).
So Wine loads nothing from Windows' SSTs, nor from its own SSTs with friendly
names; the only SSTs both read the same way have no properties. The tests check
each direction where Wine can speak, and pin the reader's behaviour (Wine 8.0).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ctlbuild.formats.certificates import load_certificates
from ctlbuild.formats.sst import (
    SerializedStore,
    SstContext,
    SstProperty,
    read_sst,
    write_sst,
)
from tests.fixtures_ms import fixture
from tests.interop import wine
from tests.peers import MICROSOFT

pytestmark = pytest.mark.interop

#: (certificate, friendly name): a non-ASCII name, an ASCII one, and none at all.
CERTS = [
    ("CDD4EEAE6000AC7F40C3802C171E30148030C072", "Microsoft Root Authority — Zürich Ω"),
    ("3B1EFD3A66EA28B16697394703A72CA340A05BD5", "Microsoft Root Certificate Authority 2010"),
    ("00EA522C8A9C06AA3ECCE0B4FA6CDC21D92E8099", None),
]


@pytest.fixture
def der_files(tmp_path) -> list[tuple[Path, bytes, str | None]]:
    fixture("certs")  # skips without the shared fixtures
    out = []
    for sha1, name in CERTS:
        der = load_certificates((MICROSOFT / "certs" / f"{sha1}.crt").read_bytes())[0]
        assert hashlib.sha1(der).hexdigest().upper() == sha1
        path = tmp_path / f"{sha1}.der"
        path.write_bytes(der)
        out.append((path, der, name))
    return out


def test_wine_written_sst_reads_with_ours(wine_client, der_files, tmp_path):
    out = tmp_path / "wine.sst"
    saved = wine.run_sst_save(wine_client, out, [(p, name) for p, _der, name in der_files])
    assert saved == len(der_files)
    raw = out.read_bytes()
    store = read_sst(raw, path=out)
    assert write_sst(store) == raw  # byte-identical rewrite of a crypt32-written file
    got = {ctx.der: ctx.friendly_name for ctx in store.certificates}
    assert got == {der: name for _p, der, name in der_files}
    for ctx in store.contexts:
        # Wine's writer leaves out hash properties; a name is the only one it has here.
        assert [p.prop_id for p in ctx.properties] == ([11] if ctx.friendly_name else [])
        assert {p.encoding_type for p in ctx.properties} <= {1} and ctx.encoding_type == 1
        if ctx.friendly_name:
            assert ctx.get(11) == (ctx.friendly_name + "\0").encode("utf-16-le")


def test_wine_loads_our_sst_without_properties(wine_client, der_files, tmp_path):
    store = SerializedStore(tuple(SstContext("cert", der) for _p, der, _n in der_files))
    path = tmp_path / "ours.sst"
    path.write_bytes(write_sst(store))
    res = wine.run_sst_load(wine_client, path)
    # Sets: crypt32's memory stores enumerate newest first, i.e. in reverse file order.
    assert sorted(c["sha1"] for c in res["certs"]) == sorted(hashlib.sha1(der).hexdigest()
                                                             for _p, der, _n in der_files)
    assert all(c["name"] is None for c in res["certs"])
    assert (res["crl_count"], res["ctl_count"]) == (0, 0)


@pytest.mark.parametrize("source", ["microsoft", "wine", "ours"])
def test_wine_reader_stops_at_a_leading_property(wine_client, der_files, tmp_path, source):
    """Pins Wine 8.0: an SST whose first element is a property loads as an empty store,
    whoever wrote it (Windows, Wine itself, or ctlbuild with properties)."""
    if source == "microsoft":
        path = fixture("rootsupd-roots.sst")
    else:
        path = tmp_path / f"{source}.sst"
        if source == "wine":
            # Named, so the first element Wine writes is a property whichever comes first.
            wine.run_sst_save(wine_client, path, [(p, f"name {i}") for i, (p, _d, _n) in enumerate(der_files)])
        else:
            store = SerializedStore(tuple(
                SstContext("cert", der, (SstProperty(3, hashlib.sha1(der).digest()),))
                for _p, der, _n in der_files))
            path.write_bytes(write_sst(store))
    assert len(read_sst(path.read_bytes()).certificates) > 0
    res = wine.run_sst_load(wine_client, path)
    assert res["cert_count"] == 0, "Wine now reads properties before their certificate: update FORMATS.md §5"


def test_wine_reads_its_own_names_onto_the_previous_certificate(wine_client, der_files, tmp_path):
    """Pins Wine 8.0: Wine writes [B][name of A][A] (newest first, properties first) and
    reads the name back onto B. read_sst, with the MS-OSHARED rule, gets it right."""
    (a_path, a_der, _), (b_path, b_der, _) = der_files[:2]
    path = tmp_path / "wine.sst"
    wine.run_sst_save(wine_client, path, [(a_path, "only A has a name"), (b_path, None)])
    ours = {ctx.der: ctx.friendly_name for ctx in read_sst(path.read_bytes()).certificates}
    assert ours == {a_der: "only A has a name", b_der: None}
    theirs = {c["sha1"]: c["name"] for c in wine.run_sst_load(wine_client, path)["certs"]}
    assert theirs == {hashlib.sha1(a_der).hexdigest(): None, hashlib.sha1(b_der).hexdigest(): "only A has a name"}
