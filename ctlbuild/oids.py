"""Object identifiers by name, and their human names.

>>> from ctlbuild.oids import EKU, eku_oid, eku_name
>>> eku_oid("server_auth")
'1.3.6.1.5.5.7.3.1'
>>> eku_name("1.3.6.1.4.1.311.10.3.9")
'root_list_signer'
"""

from __future__ import annotations

import re


class ContentType:
    DATA = "1.2.840.113549.1.7.1"
    SIGNED_DATA = "1.2.840.113549.1.7.2"
    CTL = "1.3.6.1.4.1.311.10.1"


class Attr:
    """PKCS#9 and Microsoft signed/unsigned attribute types."""
    CONTENT_TYPE = "1.2.840.113549.1.9.3"
    MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
    SIGNING_TIME = "1.2.840.113549.1.9.5"
    COUNTER_SIGNATURE = "1.2.840.113549.1.9.6"
    SPC_SP_OPUS_INFO = "1.3.6.1.4.1.311.2.1.12"
    NESTED_SIGNATURE = "1.3.6.1.4.1.311.2.4.1"
    SEQUENCE_NUMBER = "1.2.840.113549.1.9.25.4"


class Usage:
    """CTL subjectUsage values (list types) — also EKUs of CTL signers."""
    CTL_SIGNING = "1.3.6.1.4.1.311.10.3.1"
    ROOT_LIST_SIGNER = "1.3.6.1.4.1.311.10.3.9"
    REVOKED_LIST_SIGNER = "1.3.6.1.4.1.311.10.3.19"
    DISALLOWED_LIST = "1.3.6.1.4.1.311.10.3.30"
    PIN_RULES_SIGNER = "1.3.6.1.4.1.311.10.3.31"
    PIN_RULES_CTL = "1.3.6.1.4.1.311.10.3.32"  # szOID_PIN_RULES_CTL


#: EKUs that make a certificate a CTL signer (Microsoft's signers carry only 10.3.9).
CTL_SIGNER_EKUS = frozenset({Usage.CTL_SIGNING, Usage.ROOT_LIST_SIGNER,
                             Usage.REVOKED_LIST_SIGNER, Usage.PIN_RULES_SIGNER})


class HashAlg:
    MD5 = "1.2.840.113549.2.5"
    SHA1 = "1.3.14.3.2.26"
    SHA256 = "2.16.840.1.101.3.4.2.1"
    SHA384 = "2.16.840.1.101.3.4.2.2"
    SHA512 = "2.16.840.1.101.3.4.2.3"
    #: CERT_SIGNATURE_HASH_PROP_ID as subjectAlgorithm: Windows' disallowedcert.stl.
    DISALLOWED_HASH = "1.3.6.1.4.1.311.10.11.15"


class SigAlg:
    RSA = "1.2.840.113549.1.1.1"
    RSA_PSS = "1.2.840.113549.1.1.10"
    MGF1 = "1.2.840.113549.1.1.8"
    ECDSA_SHA256 = "1.2.840.10045.4.3.2"
    ECDSA_SHA384 = "1.2.840.10045.4.3.3"
    ECDSA_SHA512 = "1.2.840.10045.4.3.4"
    SHA1_RSA = "1.2.840.113549.1.1.5"
    SHA256_RSA = "1.2.840.113549.1.1.11"
    SHA384_RSA = "1.2.840.113549.1.1.12"
    SHA512_RSA = "1.2.840.113549.1.1.13"
    MD5_RSA = "1.2.840.113549.1.1.4"


class CtlExt:
    SORTED_CTL = "1.3.6.1.4.1.311.10.1.1"
    SYNC_ROOT_CTL = "1.3.6.1.4.1.311.10.3.50"
    CERT_LOG_LIST = "1.3.6.1.4.1.311.10.3.52"


#: Root program flags qualifier inside ROOT_PROGRAM_CERT_POLICIES values.
ROOT_PROGRAM_FLAGS = "1.3.6.1.4.1.311.60.1.1"
#: Policy that marks EV as disabled for a root (crt.sh's reading).
EV_DISABLED = "1.3.6.1.4.1.311.94.1.1"

EKU = {
    "server_auth": "1.3.6.1.5.5.7.3.1",
    "client_auth": "1.3.6.1.5.5.7.3.2",
    "code_signing": "1.3.6.1.5.5.7.3.3",
    "email_protection": "1.3.6.1.5.5.7.3.4",
    "ipsec_end_system": "1.3.6.1.5.5.7.3.5",
    "ipsec_tunnel": "1.3.6.1.5.5.7.3.6",
    "ipsec_user": "1.3.6.1.5.5.7.3.7",
    "time_stamping": "1.3.6.1.5.5.7.3.8",
    "ocsp_signing": "1.3.6.1.5.5.7.3.9",
    "ike_intermediate": "1.3.6.1.5.5.8.2.2",
    "ctl_signing": Usage.CTL_SIGNING,
    "efs": "1.3.6.1.4.1.311.10.3.4",
    "root_list_signer": Usage.ROOT_LIST_SIGNER,
    "document_signing": "1.3.6.1.4.1.311.10.3.12",
    "revoked_list_signer": Usage.REVOKED_LIST_SIGNER,
    "disallowed_list": Usage.DISALLOWED_LIST,
    "pin_rules_signer": Usage.PIN_RULES_SIGNER,
    "root_program_auto_update_ca_revocation": "1.3.6.1.4.1.311.60.3.1",
    "root_program_auto_update_end_revocation": "1.3.6.1.4.1.311.60.3.2",
    "any": "2.5.29.37.0",
}
_EKU_NAMES = {v: k for k, v in EKU.items()}

_OID_RE = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")


def is_oid(text: str) -> bool:
    """A dotted OID that DER can encode: arcs 0 and 1 have at most 40 children (X.660)."""
    if not isinstance(text, str) or not _OID_RE.match(text):
        return False
    first, second = text.split(".")[:2]
    return first == "2" or int(second) < 40


def eku_oid(name_or_oid: str) -> str:
    """A name from EKU or a dotted OID → the dotted OID; ValueError otherwise."""
    if name_or_oid in EKU:
        return EKU[name_or_oid]
    if is_oid(name_or_oid):
        return name_or_oid
    import difflib  # only to word a mistake: not imported by every command's start-up

    close = difflib.get_close_matches(str(name_or_oid), EKU, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else " (a name such as server_auth, or a dotted OID)"
    raise ValueError(f"unknown EKU {name_or_oid!r}{hint}")


def eku_name(oid: str) -> str:
    """The name of a known EKU, else the dotted OID itself."""
    return _EKU_NAMES.get(oid, oid)


#: Digests by the names hashlib, lists and the CLI give them: the one table of hash names.
DIGEST_OIDS = {"md5": HashAlg.MD5, "sha1": HashAlg.SHA1, "sha256": HashAlg.SHA256,
               "sha384": HashAlg.SHA384, "sha512": HashAlg.SHA512}
#: What a signature may be made with, the default first (SHA-1 only when asked for).
SIGNING_DIGESTS = ("sha256", "sha384", "sha512", "sha1")
#: OID → name of every hash a CTL can name: the digests, and the subjectAlgorithm of
#: Windows' disallowedcert.stl.
HASH_NAMES = {oid: name for name, oid in DIGEST_OIDS.items()} | {HashAlg.DISALLOWED_HASH: "disallowed_hash"}

USAGE_NAMES = {Usage.ROOT_LIST_SIGNER: "root_list_signer", Usage.DISALLOWED_LIST: "disallowed_list",
               Usage.CTL_SIGNING: "ctl_signing", "1.3.6.1.4.1.311.10.3.32": "pin_rules_ctl",
               "1.3.6.1.4.1.311.10.3.60": "hpkp_domain_name_ctl", "1.3.6.1.4.1.311.20.1": "auto_enroll_ctl"}

#: How Windows' certificate dialogs name the purposes (and so the TSV oracle does).
EKU_DISPLAY = {
    "1.3.6.1.5.5.7.3.1": "Server Authentication", "1.3.6.1.5.5.7.3.2": "Client Authentication",
    "1.3.6.1.5.5.7.3.3": "Code Signing", "1.3.6.1.5.5.7.3.4": "Secure Email",
    "1.3.6.1.5.5.7.3.5": "IP security end system", "1.3.6.1.5.5.7.3.6": "IP security tunnel termination",
    "1.3.6.1.5.5.7.3.7": "IP security user", "1.3.6.1.5.5.7.3.8": "Time Stamping",
    "1.3.6.1.5.5.7.3.9": "OCSP Signing", "1.3.6.1.4.1.311.10.3.4": "Encrypting File System",
    "1.3.6.1.4.1.311.10.3.12": "Document Signing", "1.3.6.1.5.5.8.2.2": "IP security IKE intermediate",
}
