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


def freeze_at_exit() -> None:
    """Skip the cyclic collector's walk of every object at interpreter exit.

    At exit CPython collects once more and again while it tears the modules down,
    each time walking every object the imports made (click's, asn1crypto's and
    pyhanko-certvalidator's classes and specs): ~50 ms of ``show``'s CPU time and
    ~100 ms of ``verify``'s, for memory the process is about to return whole.
    ``gc.freeze`` at the start of finalization (atexit) moves them out of the
    collector's sight; reference counting still frees them, and the only thing
    skipped is finalizers of garbage cycles, which nothing of ctlbuild relies on
    (outputs are closed and renamed before a command returns)."""
    import atexit

    atexit.register(gc.freeze)


@contextmanager
def loading_code():
    """Import a command's modules with the collector paused, then freeze what they made.

    Imports allocate tens of thousands of long-lived objects (classes, functions, specs of
    asn1crypto, cryptography and pyhanko-certvalidator), and every collection during and
    after them walks them all again (~20 ms of ``verify``'s 0.45 s). None of it is garbage:
    ``gc.freeze`` moves it out of the collector's sight for the rest of the process, and
    what the command then makes is collected as usual."""
    with paused():
        try:
            yield
        finally:
            gc.freeze()  # before the collector resumes, so that it never walks them
