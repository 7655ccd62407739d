"""The certificate-transparency log list extension (1.3.6.1.4.1.311.10.3.52, FORMATS.md §2).

>>> from ctlbuild.ctl.ctlogs import log_ids
>>> log_ids(ext_value)[:1]     # RFC 6962 LogIDs, base64   # doctest: +SKIP
['7s3QZNXbGs7FXLedtM0TojKHRny87N7DUUhZRnEftZs=']
"""

from __future__ import annotations

import base64
import hashlib

from . import der


def log_ids(value: bytes) -> list[str]:
    """SEQUENCE { SEQUENCE { INTEGER… } header, SPKI, SPKI, … } → SHA-256(SPKI) per log, in order."""
    try:
        s, e = der.expect(value, 0, der.SEQUENCE, what="log list")
        out = []
        for n, (tag, _cs, ce, pos) in enumerate(der.children(value, s, e)):
            if n == 0:
                continue  # the [1, 2, 1] header triple (meaning undocumented)
            out.append(base64.b64encode(hashlib.sha256(value[pos:ce]).digest()).decode())
        return out
    except der.DerError as exc:
        raise ValueError(str(exc)) from None
