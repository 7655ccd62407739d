"""CertificateTrustList (MS-CAESO; wincrypt.h CTL_INFO), declared once.

>>> from ctlbuild.ctl.asn1.ctl import CertificateTrustList
>>> CertificateTrustList.load(der)["sequence_number"].native   # doctest: +SKIP

The fast paths in ``ctlbuild.ctl.encode`` and ``ctlbuild.ctl.decode`` produce and read
the same bytes; tests hold them to this declaration.
"""

from __future__ import annotations

from asn1crypto import cms, core, x509
from asn1crypto.algos import DigestAlgorithm

from ...oids import ContentType


class CtlVersion(core.Integer):
    _map = {0: "v1"}


class SubjectUsage(core.SequenceOf):
    _child_spec = core.ObjectIdentifier


class SetOfOctetString(core.SetOf):
    _child_spec = core.OctetString


# Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET OF OCTET STRING }
# (values are raw CERT_*_PROP_ID bytes: every one Microsoft writes is an OCTET STRING)
class SubjectAttribute(core.Sequence):
    _fields = [
        ("type", core.ObjectIdentifier),
        ("values", SetOfOctetString),
    ]


class SubjectAttributes(core.SetOf):
    _child_spec = SubjectAttribute


# TrustedSubject ::= SEQUENCE { subjectIdentifier OCTET STRING, subjectAttributes SET OF Attribute OPTIONAL }
class TrustedSubject(core.Sequence):
    _fields = [
        ("subject_identifier", core.OctetString),
        ("subject_attributes", SubjectAttributes, {"optional": True}),
    ]


class TrustedSubjects(core.SequenceOf):
    _child_spec = TrustedSubject


# MS-CAESO 2.2.2 CertificateTrustList
class CertificateTrustList(core.Sequence):
    _fields = [
        ("version", CtlVersion, {"default": "v1"}),
        ("subject_usage", SubjectUsage),
        ("list_identifier", core.OctetString, {"optional": True}),
        ("sequence_number", core.Integer, {"optional": True}),
        ("this_update", x509.Time),
        ("next_update", x509.Time, {"optional": True}),
        ("subject_algorithm", DigestAlgorithm),
        ("trusted_subjects", TrustedSubjects, {"optional": True}),
        ("ctl_extensions", x509.Extensions, {"explicit": 0, "optional": True}),
    ]


# The CTL travels PKCS#7-v1.5 style: content [0] EXPLICIT CertificateTrustList, no OCTET STRING.
cms.ContentType._map[ContentType.CTL] = "certificate_trust_list"
cms.ContentInfo._oid_specs["certificate_trust_list"] = CertificateTrustList
