"""Answers across releases and over time: a trust list's history (``timeline``), what its
release in force says of one root (``trust``), and whether a deployed list is fresh
(``status``). Releases come from files and folders or from a git history (``releases``,
``git``). No click, no printing: ``ctlbuild.reports.historyview`` and
``ctlbuild.reports.monitorview`` put the results into words."""
