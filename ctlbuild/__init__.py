"""ctlbuild: build, sign, read and verify Microsoft Certificate Trust Lists.

>>> import ctlbuild
>>> loaded = ctlbuild.load_list("examples/diginotar-kb2616676.toml")          # doctest: +SKIP
>>> der = ctlbuild.encode_ctl(loaded.trust_list)                      # doctest: +SKIP
>>> report = ctlbuild.verify_ctl(stl_bytes, anchors=[root], now=now)  # doctest: +SKIP
>>> changes = ctlbuild.diff_files("old.stl", "new.stl")               # doctest: +SKIP
"""

from ._version import __version__
from .build.pipeline import build_content, build_list
from .ctl.decode import decode_ctl, decode_header
from .ctl.encode import content_octets, encode_ctl
from .errors import CtlbuildError, FormatError, ListError, SignerKeyError, SigningError
from .formats.stl import parse_signed_ctl, sign_ctl
from .lists.importer import import_source
from .lists.reader import load_list
from .lists.sources import read_source
from .model import Entry, TrustList
from .reports.changelog import render_changelog
from .reports.diff import diff_files, diff_lists
from .signing.signer import FileSigner, Signer
from .verify.verifier import verify_ctl

__all__ = ["__version__", "build_content", "build_list", "render_changelog", "diff_files", "diff_lists",
           "import_source", "read_source", "decode_ctl", "decode_header", "content_octets", "encode_ctl",
           "parse_signed_ctl", "CtlbuildError", "FormatError", "ListError", "SignerKeyError",
           "SigningError", "load_list", "Entry", "TrustList", "FileSigner", "Signer", "sign_ctl",
           "verify_ctl"]
