"""Stage logic: one module per workflow stage, written once against the engine ports.

Each stage takes a small request model (references to the bucket), does its work through the
``Context`` (settings, storage, engines) and returns a small result model. The Lambda handlers in
``functions/`` only parse the event and call one function here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any, Protocol, TypeVar

from scriba.aws.storage import Storage
from scriba.config import Settings, load_settings
from scriba.engines import Engines, get_engines
from scriba.errors import ScribaError


@dataclass
class Context:
    settings: Settings
    storage: Storage
    engines: Engines

    @classmethod
    def current(cls, document: str | None = None) -> Context:
        settings = load_settings()
        return cls(
            settings=settings, storage=Storage(document=document), engines=get_engines(settings)
        )


@contextmanager
def about(document: str) -> Iterator[None]:
    """Names the document in errors raised without one (engines do not know which it is)."""
    try:
        yield
    except ScribaError as error:
        if error.document is None:
            raise type(error)(str(error), document=document) from error
        raise


Q_contra = TypeVar("Q_contra", contravariant=True)
R_co = TypeVar("R_co", covariant=True)


class StageFunction(Protocol[Q_contra, R_co]):
    def __call__(self, request: Q_contra, ctx: Context | None = None) -> R_co: ...


def names_the_document(
    function: StageFunction[Q_contra, R_co],
) -> StageFunction[Q_contra, R_co]:
    """Makes a stage's errors name the document its request is about."""

    @wraps(function)
    def stage(request: Any, ctx: Context | None = None) -> Any:
        document = getattr(request, "document", None)
        name = document.name if document is not None else getattr(request, "source").key  # noqa: B009
        with about(name):
            return function(request, ctx)

    return stage
