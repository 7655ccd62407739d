"""Encoding and decoding CTLs: Microsoft's bytes back exactly, and the same bytes asn1crypto makes."""

from datetime import datetime, timezone

import pytest

from ctlbuild.ctl.asn1.ctl import CertificateTrustList
from ctlbuild.ctl.attributes import FRIENDLY_NAME
from ctlbuild.ctl.decode import decode_ctl, decode_header
from ctlbuild.ctl.encode import encode_ctl
from ctlbuild.errors import FormatError
from ctlbuild.formats.certificates import CertInfo, load_certificates
from ctlbuild.formats.stl import parse_signed_ctl
from ctlbuild.model import Entry, Extension, TrustList
from ctlbuild.oids import HashAlg
from ctlbuild.timeutil import Filetime
from tests.fixtures_ms import all_stl_params, fixture, stl_path
from tests.peers import DIGINOTAR, require_fixtures

WHEN = datetime(2020, 5, 6, 7, 8, 9, 123456, tzinfo=timezone.utc)


def full_entry(i: int) -> Entry:
    return Entry(
        identifier=bytes([i]) * 20, friendly_name=f"Root {i} — ü", ekus=("1.3.6.1.5.5.7.3.1",),
        disallowed_ekus=("1.3.6.1.5.5.7.3.3",), disabled_since=Filetime.from_datetime(WHEN),
        not_before=Filetime(None), not_before_ekus=(), ev_policies=("2.23.140.1.1",),
        chain_policies=("1.3.6.1.4.1.311.60.3.2",), sha256=bytes(32), key_id=bytes(8),
        subject_name_md5=bytes(16), raw_attributes=(("1.3.6.1.4.1.311.10.11.200", b"\x01\x02"),))


def sample_list() -> TrustList:
    return TrustList(name="t", kind="trusted", this_update=WHEN, next_update=datetime(2031, 1, 1, tzinfo=timezone.utc),
                     identifier=b"I\0d\0\0\0", entries=(full_entry(1), full_entry(2), Entry(identifier=b"\x07" * 20)),
                     extensions=(Extension("1.3.6.1.4.1.311.10.3.50", b"\x05\x00", critical=True),))


def native_ctl(tl: TrustList) -> CertificateTrustList:
    """The same list built from asn1crypto native values: the declaration of record."""
    from asn1crypto import x509
    from asn1crypto.core import Null

    from ctlbuild.ctl.asn1.ctl import SubjectAttribute
    from ctlbuild.ctl.encode import entry_attributes

    subjects = []
    for e in tl.entries:
        subject = {"subject_identifier": e.identifier}
        attrs = [SubjectAttribute.load(a) for a in entry_attributes(e)]
        if attrs:
            subject["subject_attributes"] = attrs
        subjects.append(subject)
    return CertificateTrustList({
        "subject_usage": list(tl.usages), "list_identifier": tl.identifier, "sequence_number": tl.sequence,
        "this_update": x509.Time({"utc_time": tl.this_update.replace(microsecond=0)}),
        "next_update": x509.Time({"utc_time": tl.next_update}),
        "subject_algorithm": {"algorithm": tl.subject_algorithm, "parameters": Null()},
        "trusted_subjects": subjects,
        "ctl_extensions": [{"extn_id": x.oid, "critical": x.critical, "extn_value": x.value} for x in tl.extensions],
    })


def test_fast_encoder_equals_asn1crypto_declaration():
    assert encode_ctl(sample_list()) == native_ctl(sample_list()).dump()


def test_decode_encode_round_trip_of_every_field():
    tl = sample_list()
    der = encode_ctl(tl)
    back = decode_ctl(der, name="t")
    assert back.entries == list(tl.entries)
    assert (back.identifier, back.sequence, back.next_update, back.extensions) == \
        (tl.identifier, tl.sequence, tl.next_update, tl.extensions)
    assert encode_ctl(back) == der


@pytest.mark.parametrize("name", all_stl_params())
def test_microsoft_ctl_round_trips_byte_for_byte(name):
    signed = parse_signed_ctl(stl_path(name).read_bytes())
    tl = decode_ctl(signed.ctl_der)
    assert encode_ctl(tl) == signed.ctl_der
    # Everything Microsoft writes is modelled: nothing falls back to raw attributes.
    assert not any(e.raw_attributes for e in tl.entries)
    header, count = decode_header(signed.ctl_der)
    assert count == len(tl.entries) and header.sequence == tl.sequence


def test_unknown_and_non_canonical_attributes_stay_verbatim():
    odd_name = Entry(identifier=b"\x01" * 20, raw_attributes=((FRIENDLY_NAME.oid, b"A\0"),))
    tl = TrustList(name="t", kind="trusted", this_update=WHEN, entries=(odd_name,))
    der = encode_ctl(tl)
    back = decode_ctl(der)
    assert back.entries[0].friendly_name is None  # no NUL terminator: not a typed name
    assert encode_ctl(back) == der


def test_sequence_number_derived_as_microsoft_does():
    # authroot v115: sequenceNumber 14 01DBDEE7F1A4F449 = 2025-06-16T17:56:11.0492745Z (FORMATS.md §2)
    when = datetime(2025, 6, 16, 17, 56, 11, 49274, tzinfo=timezone.utc)
    trusted = TrustList(name="t", kind="trusted", this_update=when)
    assert format(trusted.sequence, "X") == "1401DBDEE7F1A4F44" + format(trusted.sequence & 0xFF, "X")[-1]
    assert trusted.sequence >> 64 == 0x14
    disallowed = TrustList(name="d", kind="disallowed", this_update=when)
    assert disallowed.sequence == trusted.sequence & ((1 << 64) - 1)


def test_disallowed_sequence_matches_microsoft_file():
    signed = parse_signed_ctl(fixture("disallowedcert-2012-05-30.stl").read_bytes())
    tl = decode_ctl(signed.ctl_der)
    assert tl.sequence == 0x01CD3EB243420E4F
    assert tl.this_update == datetime(2012, 5, 30, 22, 19, 21, tzinfo=timezone.utc)


def test_diginotar_disallowed_hashes_are_in_microsofts_disallowedcert():
    require_fixtures()
    signed = parse_signed_ctl(fixture("disallowedcert-2012-05-30.stl").read_bytes())
    ms = decode_ctl(signed.ctl_der)
    assert ms.subject_algorithm == HashAlg.DISALLOWED_HASH
    identifiers = {e.identifier for e in ms.entries}
    for path in sorted(DIGINOTAR.glob("*.crt")):
        info = CertInfo.from_der(load_certificates(path.read_bytes())[0])
        assert info.identifier(HashAlg.DISALLOWED_HASH) in identifiers, path.name


def test_malformed_ctl_names_the_offset():
    der = encode_ctl(sample_list())
    broken = der[:40]
    with pytest.raises(FormatError) as caught:
        decode_ctl(broken, path="x.stl", base=100)
    assert "x.stl at offset" in str(caught.value)


def test_header_only_counts_without_decoding_and_agrees_with_decode():
    from datetime import datetime, timezone

    from ctlbuild.ctl.decode import decode_ctl, decode_header
    from ctlbuild.ctl.encode import encode_ctl
    from ctlbuild.model import Entry, TrustList

    long_name = "x" * 200  # entries of two-byte lengths too
    entries = [Entry(i.to_bytes(20, "big"), friendly_name=long_name if i % 3 else None) for i in range(300)]
    tl = TrustList("t", "disallowed", datetime(2024, 1, 1, tzinfo=timezone.utc), entries)
    der = encode_ctl(tl)
    header, count = decode_header(der)
    assert count == 300 and not header.entries
    assert header.this_update == decode_ctl(der).this_update


def test_header_only_refuses_an_entry_that_runs_past_its_list():
    from datetime import datetime, timezone

    import pytest

    from ctlbuild.ctl.decode import decode_header
    from ctlbuild.ctl.encode import encode_ctl
    from ctlbuild.errors import FormatError
    from ctlbuild.model import Entry, TrustList

    tl = TrustList("t", "disallowed", datetime(2024, 1, 1, tzinfo=timezone.utc), [Entry(bytes(20))] * 2)
    der = bytearray(encode_ctl(tl))
    last = der.rindex(b"\x30\x16")  # the last entry: SEQUENCE of 22 bytes
    der[last + 1] = 0x30  # now claims more bytes than its list holds
    with pytest.raises(FormatError, match="runs past"):
        decode_header(bytes(der))


def test_attribute_sets_shared_by_entries_decode_to_equal_entries():
    from datetime import datetime, timezone

    from ctlbuild.ctl.decode import decode_ctl
    from ctlbuild.ctl.encode import encode_ctl
    from ctlbuild.model import Entry, TrustList
    from ctlbuild.timeutil import Filetime

    since = Filetime.from_datetime(datetime(2020, 1, 1, tzinfo=timezone.utc))
    entries = [Entry(i.to_bytes(20, "big"), disabled_since=since, ekus=("1.3.6.1.5.5.7.3.1",),
                     friendly_name="n" if i == 5 else None) for i in range(50)]
    tl = TrustList("t", "disallowed", datetime(2024, 1, 1, tzinfo=timezone.utc), entries)
    assert list(decode_ctl(encode_ctl(tl)).entries) == entries


def test_header_only_count_of_alike_entries_still_refuses_a_bad_one():
    from datetime import datetime, timezone

    import pytest

    from ctlbuild.ctl.decode import decode_header
    from ctlbuild.ctl.encode import encode_ctl
    from ctlbuild.errors import FormatError
    from ctlbuild.model import Entry, TrustList

    tl = TrustList("t", "disallowed", datetime(2024, 1, 1, tzinfo=timezone.utc),
                   [Entry(i.to_bytes(20, "big")) for i in range(1, 101)])
    der = encode_ctl(tl)
    assert decode_header(der)[1] == 100  # all alike: the strided check
    entry = der.index(b"\x30\x16\x04\x14" + (50).to_bytes(20, "big"))
    for bad in (b"\x31\x16", b"\x30\x17"):  # a SET instead of a SEQUENCE; a length one too long
        broken = der[:entry] + bad + der[entry + 2:]
        with pytest.raises(FormatError):
            decode_header(broken)
