"""Stage logic: one module per workflow stage, written once against the engine ports.

Each stage takes a small request model (references to the bucket), does its work through the
``Context`` (settings, storage, engines) and returns a small result model. The Lambda handlers in
``functions/`` only parse the event and call one function here.
"""

from __future__ import annotations

from dataclasses import dataclass

from scriba.config import Settings, load_settings
from scriba.engines import Engines, get_engines
from scriba.storage import Storage


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
