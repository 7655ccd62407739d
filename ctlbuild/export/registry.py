"""The export formats: name → writer, each declaring what it can express (``CAPABILITIES``).

>>> from ctlbuild.export.registry import FORMATS
>>> sorted(FORMATS)
['json', 'openssl-dir', 'p11-kit', 'pem', 'pkcs12']
>>> FORMATS["p11-kit"].capabilities.blocklist, FORMATS["pem"].capabilities.blocklist
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import json_out, openssl_dir, p11kit, pem, pkcs12
from .plan import Capabilities


@dataclass(frozen=True)
class Format:
    name: str
    capabilities: Capabilities
    write: Callable  # (writing.Job) -> [(name, bytes)]


FORMATS = {f.name: f for f in (
    Format("pem", pem.CAPABILITIES, pem.write),
    Format("openssl-dir", openssl_dir.CAPABILITIES, openssl_dir.write),
    Format("p11-kit", p11kit.CAPABILITIES, p11kit.write),
    Format("pkcs12", pkcs12.CAPABILITIES, pkcs12.write),
    Format("json", json_out.CAPABILITIES, json_out.write),
)}
