"""``pem``: one bundle, OpenSSL/certifi style (``-CAfile``, ``SSL_CERT_FILE``, certifi's cacert.pem).

A bundle is a list of roots trusted for everything: it carries no purposes, no dates and no
distrust. Each certificate has a comment header with its label, hashes and the trust it
carries, and the rules the bundle cannot carry.
"""

from __future__ import annotations

from .plan import Capabilities
from .writing import Job, cert_comment, file_header, pem

CAPABILITIES = Capabilities(friendly_name=True)


def write(job: Job) -> list[tuple[str, bytes]]:
    parts = [file_header(job, "PEM bundle")]
    for d in job.decisions:
        parts.append("\n" + cert_comment(d) + pem(d.cert.der))
    return [("", "".join(parts).encode("utf-8"))]
