"""The base of every model that crosses a boundary (a state, an event, a file in the bucket)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Base of every model that crosses a boundary: unknown fields are errors, not silence.

    Validators are built on a model's first use, not when it is defined: a handler imports many
    models and uses a few (the starter, none of the stage results), and its cold start is the
    import (bench/cold_start.py).
    """

    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True, defer_build=True)
