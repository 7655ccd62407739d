"""Pausing the cyclic garbage collector while millions of acyclic objects are built.

A 1M-entry list allocates millions of container objects (entries, dicts, tuples)
in one go; each allocation burst triggers collections that walk every tracked
object again, ~1 s per million entries for nothing, since none of them form
cycles. Reference counting still frees everything as usual while it is paused.

>>> from ctlbuild._gc import paused
>>> with paused():
...     entries = [dict(n=i) for i in range(3)]
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
