"""ctlbuild: build, sign, read and verify Microsoft Certificate Trust Lists.

>>> import ctlbuild
>>> loaded = ctlbuild.load_list("examples/diginotar-2.toml")          # doctest: +SKIP
>>> der = ctlbuild.encode_ctl(loaded.trust_list)                      # doctest: +SKIP
>>> report = ctlbuild.verify_ctl(stl_bytes, anchors=[root], now=now)  # doctest: +SKIP
>>> changes = ctlbuild.diff_files("old.stl", "new.stl")               # doctest: +SKIP
"""

__version__ = "0.1.0"

from .build.pipeline import build_content, build_list  # noqa: E402
from .ctl.decode import decode_ctl, decode_header  # noqa: E402
from .ctl.encode import content_octets, encode_ctl  # noqa: E402
from .errors import CtlbuildError, FormatError, ListError, SignerKeyError, SigningError  # noqa: E402
from .formats.stl import parse_signed_ctl  # noqa: E402
from .lists.importer import import_source  # noqa: E402
from .lists.reader import load_list  # noqa: E402
from .lists.sources import read_source  # noqa: E402
from .model import Entry, TrustList  # noqa: E402
from .reports.changelog import render_changelog  # noqa: E402
from .reports.diff import diff_files, diff_lists  # noqa: E402
from .signing.signer import FileSigner, Signer, sign_ctl  # noqa: E402
from .verify.verifier import verify_ctl  # noqa: E402

__all__ = ["__version__", "build_content", "build_list", "render_changelog", "diff_files", "diff_lists",
           "import_source", "read_source", "decode_ctl", "decode_header", "content_octets", "encode_ctl",
           "parse_signed_ctl", "CtlbuildError", "FormatError", "ListError", "SignerKeyError",
           "SigningError", "load_list", "Entry", "TrustList", "FileSigner", "Signer", "sign_ctl",
           "verify_ctl"]
