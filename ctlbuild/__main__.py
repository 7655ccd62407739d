"""``python -m ctlbuild``: the same as the ``ctlbuild`` command."""

from ._cli import main

main(prog_name="ctlbuild")
