"""The package version, in a module of its own so that anything may import it without
importing the whole public API (``ctlbuild/__init__.py``) first."""

__version__ = "0.1.0"
