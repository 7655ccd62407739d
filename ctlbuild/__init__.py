"""ctlbuild: build, sign, read and verify Microsoft Certificate Trust Lists.

>>> import ctlbuild
>>> loaded = ctlbuild.load_list("examples/diginotar-2.toml")          # doctest: +SKIP
>>> der = ctlbuild.encode_ctl(loaded.trust_list)                      # doctest: +SKIP
>>> report = ctlbuild.verify_ctl(stl_bytes, anchors=[root], now=now)  # doctest: +SKIP
"""

__version__ = "0.1.0"

from .decode import decode_ctl, decode_header  # noqa: E402
from .encode import content_octets, encode_ctl  # noqa: E402
from .envelope import parse_signed_ctl  # noqa: E402
from .errors import CtlbuildError, FormatError, ListError, SignerKeyError, SigningError  # noqa: E402
from .listfile import load_list  # noqa: E402
from .model import Entry, TrustList  # noqa: E402
from .signing import FileSigner, Signer, sign_ctl  # noqa: E402
from .verify import verify_ctl  # noqa: E402

__all__ = ["__version__", "decode_ctl", "decode_header", "content_octets", "encode_ctl",
           "parse_signed_ctl", "CtlbuildError", "FormatError", "ListError", "SignerKeyError",
           "SigningError", "load_list", "Entry", "TrustList", "FileSigner", "Signer", "sign_ctl",
           "verify_ctl"]
