"""ctlbuild: build, sign, read and verify Microsoft Certificate Trust Lists.

>>> import ctlbuild
>>> loaded = ctlbuild.load_list("examples/diginotar-kb2616676.toml")          # doctest: +SKIP
>>> der = ctlbuild.encode_ctl(loaded.trust_list)                      # doctest: +SKIP
>>> report = ctlbuild.verify_ctl(stl_bytes, anchors=[root], now=now)  # doctest: +SKIP
>>> changes = ctlbuild.diff_files("old.stl", "new.stl")               # doctest: +SKIP

The names below are imported on first use (PEP 562 module ``__getattr__``): importing
``ctlbuild`` costs nothing beyond ``_version``, so ``ctlbuild --version`` and a command
that needs only the decoder never load cryptography's X.509 layer or Jinja2.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from ._version import __version__

#: public name -> the module that defines it (relative to this package)
_LAZY = {
    "build_content": ".build.pipeline", "build_list": ".build.pipeline",
    "decode_ctl": ".ctl.decode", "decode_header": ".ctl.decode",
    "content_octets": ".ctl.encode", "encode_ctl": ".ctl.encode",
    "CtlbuildError": ".errors", "FormatError": ".errors", "ListError": ".errors",
    "SignerKeyError": ".errors", "SigningError": ".errors",
    "parse_signed_ctl": ".formats.stl", "sign_ctl": ".formats.stl",
    "import_source": ".lists.importer",
    "load_list": ".lists.reader",
    "read_source": ".lists.sources",
    "Entry": ".model", "TrustList": ".model",
    "render_changelog": ".reports.changelog",
    "diff_files": ".reports.diff", "diff_lists": ".reports.diff",
    "FileSigner": ".signing.signer", "Signer": ".signing.signer",
    "verify_ctl": ".verify.verifier",
}

__all__ = ["__version__", "build_content", "build_list", "render_changelog", "diff_files", "diff_lists",
           "import_source", "read_source", "decode_ctl", "decode_header", "content_octets", "encode_ctl",
           "parse_signed_ctl", "CtlbuildError", "FormatError", "ListError", "SignerKeyError",
           "SigningError", "load_list", "Entry", "TrustList", "FileSigner", "Signer", "sign_ctl",
           "verify_ctl"]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ctlbuild' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value  # the next look-up is an ordinary global
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what type checkers and IDEs see; never executed
    from .build.pipeline import build_content, build_list  # noqa: F401
    from .ctl.decode import decode_ctl, decode_header  # noqa: F401
    from .ctl.encode import content_octets, encode_ctl  # noqa: F401
    from .errors import CtlbuildError, FormatError, ListError, SignerKeyError, SigningError  # noqa: F401
    from .formats.stl import parse_signed_ctl, sign_ctl  # noqa: F401
    from .lists.importer import import_source  # noqa: F401
    from .lists.reader import load_list  # noqa: F401
    from .lists.sources import read_source  # noqa: F401
    from .model import Entry, TrustList  # noqa: F401
    from .reports.changelog import render_changelog  # noqa: F401
    from .reports.diff import diff_files, diff_lists  # noqa: F401
    from .signing.signer import FileSigner, Signer  # noqa: F401
    from .verify.verifier import verify_ctl  # noqa: F401
