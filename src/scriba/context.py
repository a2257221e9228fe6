"""The context a stage runs in: its settings, the AWS clients, the bucket and the engines.

There is one way in. A Lambda handler makes a ``FunctionContext`` of its settings class when it is
imported, which checks the function's environment then (a missing variable fails the cold start
with its name); each invocation asks it for ``current()`` and passes that ``Context`` to the one
library function it calls. Stage functions take the context as an argument and never look for
one themselves; tests build a ``Context`` of their own (``Context.of``) with the clients, storage
and engines they want.

Contexts are cached per environment (the ``SCRIBA_*`` variables, and the AWS endpoint and
region): a warm Lambda, or a worker process of the local executor, keeps its clients and its
loaded models across invocations, and a new environment (another local stack in the same
process, on another port) gets new ones. The clients and engines are shared by the functions of
one process with one environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Generic

from scriba.aws.clients import AwsClients
from scriba.aws.storage import Storage
from scriba.config import S, Settings, load_settings
from scriba.engines import Backend, Engines


class Context(Generic[S]):
    """Settings, clients, the bucket and the engines of one function (or one test).

    Nothing is made before it is used: the bucket's client when a stage first reads or writes,
    an engine when a stage first asks for it. A cold start only checks the settings.
    """

    def __init__(
        self,
        settings: S,
        clients: AwsClients,
        *,
        storage: Storage | None = None,
        engines: Engines | None = None,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self._storage = storage
        self.engines = engines if engines is not None else Engines(settings, clients)

    @property
    def storage(self) -> Storage:
        if self._storage is None:
            self._storage = Storage(self.clients.s3)
        return self._storage

    @classmethod
    def of(
        cls,
        settings: S,
        clients: AwsClients | None = None,
        *,
        storage: Storage | None = None,
        backend: Backend | None = None,
        engines: Engines | None = None,
    ) -> Context[S]:
        """A context for ``settings``: the process's clients unless given, the bucket through
        their S3 client, the engines of ``backend`` (``settings.engines`` by default)."""
        clients = clients if clients is not None else AwsClients()
        if engines is None:
            engines = Engines(settings, clients, backend)
        return cls(settings, clients, storage=storage, engines=engines)


Environment = frozenset[tuple[str, str]]


# What the clients depend on besides the settings (not the per-invocation AWS_LAMBDA_* names).
_CLIENT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE")


def _environment() -> Environment:
    return frozenset(
        (key, value)
        for key, value in os.environ.items()
        if key.startswith("SCRIBA_") or key.startswith(_CLIENT_VARIABLES)
    )


@lru_cache(maxsize=8)
def _shared(environment: Environment) -> tuple[AwsClients, Engines]:
    settings = load_settings()
    clients = AwsClients()
    return clients, Engines(settings, clients)


@lru_cache(maxsize=32)
def _context(kind: type[Settings], environment: Environment) -> Context[Settings]:
    settings = load_settings(kind)
    clients, engines = _shared(environment)
    return Context(settings, clients, engines=engines)


class FunctionContext(Generic[S]):
    """What one Lambda function makes at import: its settings, checked now, and the context of
    each invocation."""

    def __init__(self, kind: type[S]) -> None:
        self.kind = kind
        self.current()  # a missing or invalid variable: ConfigurationError at init

    def current(self) -> Context[S]:
        context = _context(self.kind, _environment())
        assert isinstance(context.settings, self.kind)
        return context  # type: ignore[return-value]


def forget_contexts() -> None:
    """Drops every cached context, clients and engines included (tests that change the
    process's session hooks or ``BACKENDS`` call this first)."""
    _context.cache_clear()
    _shared.cache_clear()
