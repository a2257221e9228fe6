"""The base of every model that crosses a boundary (a state, an event, a file in the bucket)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Base of every model that crosses a boundary: unknown fields are errors, not silence."""

    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)
