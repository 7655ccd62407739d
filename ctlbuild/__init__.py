"""ctlbuild: build, sign, read and verify Microsoft Certificate Trust Lists.

>>> import ctlbuild
>>> loaded = ctlbuild.load_list("examples/diginotar-2.toml")          # doctest: +SKIP
>>> der = ctlbuild.encode_ctl(loaded.trust_list)                      # doctest: +SKIP
>>> report = ctlbuild.verify_ctl(stl_bytes, anchors=[root], now=now)  # doctest: +SKIP
>>> changes = ctlbuild.diff_files("old.stl", "new.stl")               # doctest: +SKIP
"""

__version__ = "0.1.0"

from .build import build_content, build_list  # noqa: E402
from .changelog import render_changelog  # noqa: E402
from .decode import decode_ctl, decode_header  # noqa: E402
from .diff import diff_files, diff_lists  # noqa: E402
from .encode import content_octets, encode_ctl  # noqa: E402
from .envelope import parse_signed_ctl  # noqa: E402
from .errors import CtlbuildError, FormatError, ListError, SignerKeyError, SigningError  # noqa: E402
from .importer import import_source  # noqa: E402
from .listfile import load_list  # noqa: E402
from .model import Entry, TrustList  # noqa: E402
from .readers import read_source  # noqa: E402
from .signing import FileSigner, Signer, sign_ctl  # noqa: E402
from .verify import verify_ctl  # noqa: E402

__all__ = ["__version__", "build_content", "build_list", "render_changelog", "diff_files", "diff_lists",
           "import_source", "read_source", "decode_ctl", "decode_header", "content_octets", "encode_ctl",
           "parse_signed_ctl", "CtlbuildError", "FormatError", "ListError", "SignerKeyError",
           "SigningError", "load_list", "Entry", "TrustList", "FileSigner", "Signer", "sign_ctl",
           "verify_ctl"]
