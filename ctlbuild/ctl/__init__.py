"""The CTL itself: DER primitives, the entry-attribute table, encoding and decoding.

Nothing here reads files, signs or prints: bytes and models in, bytes and models out.
``attributes`` declares every CTL entry attribute once; ``encode``/``decode`` and the
SST, list and diff code all read that table.
"""
