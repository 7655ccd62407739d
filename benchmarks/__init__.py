"""Whole-process benchmarks for ctlbuild: ``make bench`` (``python -m benchmarks``).

Each row runs the real ``ctlbuild`` command in a child process on synthetic
inputs generated in a temporary folder, and reports wall time and the child's
peak RSS (from ``os.wait4``). The report always exits 0; a missed target is
printed as MISSED. Timings live here, never in the unit tests.
"""
