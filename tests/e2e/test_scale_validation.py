"""The simulation agrees with the local stack: a small burst of text PDFs, Bedrock Converse held
to a quota in the fakes, through LocalCloud (wall clock) and bench.scale's model (virtual time).

The full run (200 documents, its figures in docs/performance.md) is
`python -m bench.scale.validation`; this is its small case (about 2 minutes).
"""

from __future__ import annotations

import pytest

from bench.scale.validation import validate

pytestmark = [pytest.mark.slow]

DOCUMENTS = 40
# Wider than the full run's 20 %: with 40 documents the completion is set by a few dozen jittered
# retries of throttled requests (FULL jitter, up to 2 x 2^n s), which do not average out. The
# simulation's seeds alone spread -29 %/+27 % around their median for 20 documents and -7 %/+5 %
# for 200 (measured with this case's profile); and the model has come out about 20 % slower than
# the stack in every run so far (1.20 for 200 documents, 1.20 for 40: docs/performance.md says
# why). 35 % holds that gap plus the small case's spread, and still fails a model that is off.
BOUND = 0.35


def test_the_simulation_agrees_with_the_local_stack() -> None:
    validation = validate(DOCUMENTS, calibration_documents=6)
    real, sim = validation.real, validation.sim
    assert real.status["failed"] == 0, real.status
    assert sim.median("failed") == 0
    assert real.status["succeeded"] + real.status["partial"] == DOCUMENTS
    assert sum(real.throttles.values()) > 0  # the quota is met, so it is what binds
    assert abs(validation.ratio - 1) <= BOUND, (
        f"simulated {sim.completion:.1f} s, real {real.completion:.1f} s"
    )
