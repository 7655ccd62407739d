"""Authenticode SpcSpOpusInfo (signed attribute 1.3.6.1.4.1.311.2.1.12) as Microsoft's CTLs carry it.

>>> from ctlbuild.ctl.asn1.spc import SpcSpOpusInfo
>>> SpcSpOpusInfo({"program_name": {"unicode": "Microsoft"}}).dump().hex()
'3016a0148012004d006900630072006f0073006f00660074'
"""

from __future__ import annotations

from asn1crypto import cms, core

from ...oids import Attr


class SpcString(core.Choice):
    _alternatives = [
        ("unicode", core.BMPString, {"implicit": 0}),
        ("ascii", core.IA5String, {"implicit": 1}),
    ]


class SpcSerializedObject(core.Sequence):
    _fields = [("class_id", core.OctetString), ("serialized_data", core.OctetString)]


class SpcLink(core.Choice):
    _alternatives = [
        ("url", core.IA5String, {"implicit": 0}),
        ("moniker", SpcSerializedObject, {"implicit": 1}),
        ("file", SpcString, {"explicit": 2}),
    ]


# SpcSpOpusInfo ::= SEQUENCE { programName [0] EXPLICIT SpcString OPTIONAL,
#                              moreInfo    [1] EXPLICIT SpcLink   OPTIONAL }
class SpcSpOpusInfo(core.Sequence):
    _fields = [
        ("program_name", SpcString, {"explicit": 0, "optional": True}),
        ("more_info", SpcLink, {"explicit": 1, "optional": True}),
    ]


class SetOfSpcSpOpusInfo(core.SetOf):
    _child_spec = SpcSpOpusInfo


class PKCS9SequenceNumber(core.Integer):
    pass


class SetOfSequenceNumber(core.SetOf):
    _child_spec = PKCS9SequenceNumber


cms.CMSAttributeType._map[Attr.SPC_SP_OPUS_INFO] = "spc_sp_opus_info"
cms.CMSAttribute._oid_specs["spc_sp_opus_info"] = SetOfSpcSpOpusInfo
cms.CMSAttributeType._map[Attr.SEQUENCE_NUMBER] = "pkcs9_sequence_number"
cms.CMSAttribute._oid_specs["pkcs9_sequence_number"] = SetOfSequenceNumber
