"""``pkcs12``: a Java truststore (PKCS#12, the JDK's default keystore type since 9) that
``keytool -list`` shows as one ``trustedCertEntry`` per root.

Java makes a certificate bag a trusted entry only when it carries Oracle's attribute
2.16.840.1.113894.746875.1.1 ("trusted key usage"); cryptography's
``serialize_java_truststore`` writes it (anyExtendedKeyUsage), so no hand-made ASN.1 is
needed. The store carries no per-root purposes, dates or distrust: like a bundle, each root is
trusted for everything. The alias is the friendly name with the SHA-1's first eight hex digits
(keytool lowercases it), so that two roots with one name stay two entries. The password
protects the store's integrity (and its encryption, PBES2/AES-256): it comes from the caller;
the salts are random, so two exports of the same list differ in bytes.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from ..errors import UsageError
from ..formats.certificates import load_x509
from .plan import Capabilities
from .writing import Job

CAPABILITIES = Capabilities(friendly_name=True)


def write(job: Job) -> list[tuple[str, bytes]]:
    if not job.password:
        raise UsageError("a PKCS#12 truststore needs a password").because("export_password")
    # Old roots Microsoft still lists have negative serial numbers: load_x509 parses them quietly.
    entries = [pkcs12.PKCS12Certificate(load_x509(d.cert.der), alias(d).encode("utf-8")) for d in job.decisions]
    return [("", pkcs12.serialize_java_truststore(entries, BestAvailableEncryption(job.password)))]


def alias(d) -> str:
    return f"{d.label} [{d.cert.sha1.hex()[:8]}]"
