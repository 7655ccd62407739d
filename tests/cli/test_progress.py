"""The progress bar: click's, on stderr, only in a terminal, only past 50k entries."""

import io

from ctlbuild._cli.common import PROGRESS_THRESHOLD, ProgressBar


class Terminal(io.StringIO):
    def isatty(self):
        return True


def feed(bar: ProgressBar, total: int, estimate=None):
    with bar:
        for done in range(10_000, total + 1, 10_000):
            bar(done, estimate(done) if estimate else total)
        bar(total, total)


def test_a_big_job_in_a_terminal_gets_a_bar():
    out = Terminal()
    bar = ProgressBar("reading big.stl", stream=out)
    feed(bar, 200_000)
    text = out.getvalue()
    assert "reading big.stl" in text and "200000/200000" in text and "100%" in text
    assert text.endswith("\n")  # the bar's line is finished


def test_a_small_job_or_a_pipe_gets_nothing():
    out = Terminal()
    feed(ProgressBar("small", stream=out), PROGRESS_THRESHOLD)
    assert out.getvalue() == ""
    pipe = io.StringIO()
    feed(ProgressBar("piped", stream=pipe), 10 * PROGRESS_THRESHOLD)
    assert pipe.getvalue() == ""


def test_an_estimated_total_is_followed():
    out = Terminal()
    # A decoder's estimate early on says 60k, then the file turns out to hold 120k.
    feed(ProgressBar("reading", stream=out), 120_000, estimate=lambda done: max(done, 60_001))
    assert "120000/120000" in out.getvalue()


def test_decode_and_encode_report_done_and_total():
    from datetime import datetime, timezone

    from ctlbuild.ctl.decode import decode_ctl
    from ctlbuild.ctl.encode import encode_ctl
    from ctlbuild.model import Entry, TrustList

    entries = [Entry(i.to_bytes(20, "big")) for i in range(25_000)]
    tl = TrustList("t", "disallowed", datetime(2024, 1, 1, tzinfo=timezone.utc), entries)
    encoded, decoded = [], []
    der = encode_ctl(tl, lambda d, t: encoded.append((d, t)))
    decode_ctl(der, progress=lambda d, t: decoded.append((d, t)))
    assert encoded[-1] == (25_000, 25_000) and all(t == 25_000 for _d, t in encoded)
    assert decoded[-1] == (25_000, 25_000) and [d for d, _t in decoded] == [10_000, 20_000, 25_000]
    assert 24_000 <= decoded[0][1] <= 26_000  # estimated from bytes: entries of one size
