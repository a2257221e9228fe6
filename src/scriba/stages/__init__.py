"""Stage logic: one module per workflow stage, written once against the engine ports.

Each stage takes a small request model (references to the bucket) and the ``Context`` its
handler built (settings, clients, storage, engines; ``scriba.context``), does its work and
returns a small result model (``scriba.workflow``). The Lambda handlers in ``functions/`` only
parse the event and call one function here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, Protocol, TypeVar

from scriba.context import Context
from scriba.errors import ScribaError
from scriba.workflow import StageRequest


@contextmanager
def about(document: str) -> Iterator[None]:
    """Names the document in errors raised without one (engines do not know which it is)."""
    try:
        yield
    except ScribaError as error:
        if error.document is None:
            raise type(error)(str(error), document=document) from error
        raise


Q_contra = TypeVar("Q_contra", bound=StageRequest, contravariant=True)
R_co = TypeVar("R_co", covariant=True)


class StageFunction(Protocol[Q_contra, R_co]):
    def __call__(self, request: Q_contra, ctx: Context[Any]) -> R_co: ...


def names_the_document(
    function: StageFunction[Q_contra, R_co],
) -> StageFunction[Q_contra, R_co]:
    """Makes a stage's errors name the document its request is about."""

    @wraps(function)
    def stage(request: Q_contra, ctx: Context[Any]) -> R_co:
        _, name = request.subject()
        with about(name):
            return function(request, ctx)

    return stage
