"""ctlbuild: build, sign, read and verify Microsoft Certificate Trust Lists.

>>> import ctlbuild
>>> loaded = ctlbuild.load_list("examples/diginotar-kb2616676.toml")          # doctest: +SKIP
>>> der = ctlbuild.encode_ctl(loaded.trust_list)                      # doctest: +SKIP
>>> report = ctlbuild.verify_ctl(stl_bytes, anchors=[root], now=now)  # doctest: +SKIP
>>> changes = ctlbuild.diff_files("old.stl", "new.stl")               # doctest: +SKIP
"""

from ._version import __version__

# The public names are imported on first use (PEP 562), not here: a command pays only for
# what it runs (``ctlbuild verify`` never needs the build pipeline or the templates).
_EXPORTS = {
    "build_content": ".build.pipeline", "build_list": ".build.pipeline",
    "decode_ctl": ".ctl.decode", "decode_header": ".ctl.decode",
    "content_octets": ".ctl.encode", "encode_ctl": ".ctl.encode",
    "CtlbuildError": ".errors", "FormatError": ".errors", "ListError": ".errors",
    "SignerKeyError": ".errors", "SigningError": ".errors",
    "parse_signed_ctl": ".formats.stl", "import_source": ".lists.importer", "load_list": ".lists.reader",
    "read_source": ".lists.sources", "Entry": ".model", "TrustList": ".model",
    "render_changelog": ".reports.changelog", "diff_files": ".reports.diff", "diff_lists": ".reports.diff",
    "FileSigner": ".signing.signer", "Signer": ".signing.signer", "sign_ctl": ".formats.stl",
    "verify_ctl": ".verify.verifier",
}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ctlbuild' has no attribute {name!r}")
    from importlib import import_module
    value = getattr(import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *_EXPORTS])


__all__ = ["__version__", "build_content", "build_list", "render_changelog", "diff_files", "diff_lists",
           "import_source", "read_source", "decode_ctl", "decode_header", "content_octets", "encode_ctl",
           "parse_signed_ctl", "CtlbuildError", "FormatError", "ListError", "SignerKeyError",
           "SigningError", "load_list", "Entry", "TrustList", "FileSigner", "Signer", "sign_ctl",
           "verify_ctl"]
