"""`scriba serve` under a burst of uploads, driven from outside as a user would: each upload is
processed exactly once and admission control keeps at most MaxDocumentsInFlight running.

The full 500-upload run, with the memory figures, is `python -m bench.serve_burst`.
"""

from __future__ import annotations

import pytest

from bench.serve_burst import figures, run

pytestmark = [pytest.mark.local_engines, pytest.mark.slow]


def test_a_burst_runs_each_upload_once_and_never_more_than_the_limit_at_once() -> None:
    burst = run(40, max_in_flight=3, workers=2, timeout=900)
    found = figures(burst)
    assert found["without a manifest"] == 0, burst.log[-3000:]
    assert found["unexpected outcomes"] == []
    assert burst.exactly_once, burst.executions
    # The semaphore was used (the burst had to wait) and never passed its limit.
    assert burst.peak_slots == 3
    assert burst.peak_running <= 3
    left = (found["waiting messages left"], found["slots left taken"], found["leases left"])
    assert left == (0, 0, 0)
    assert "Traceback" not in burst.log, burst.log[-3000:]
