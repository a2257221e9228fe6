"""Helpers of the AWS adapter tests: fixtures on disk, request capture, real MP3 audio."""

from __future__ import annotations

import array
import copy
import io
import json
import math
from pathlib import Path
from typing import Any

import lameenc
from botocore.response import StreamingBody

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "aws"


def load_fixture(name: str) -> Any:
    """A JSON response from tests/fixtures/aws/."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def capture(client: Any, operation: str) -> list[dict[str, Any]]:
    """Every request ``client`` makes to ``operation`` ("Converse"), as the caller passed it."""
    seen: list[dict[str, Any]] = []
    service = client.meta.service_model.service_id.hyphenize()

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(copy.deepcopy(params))

    client.meta.events.register(f"provide-client-params.{service}.{operation}", record)
    return seen


def mp3_tone(seconds: float = 1.0, rate: int = 22_050, frequency: float = 440.0) -> bytes:
    """A real MP3 (a mono sine) lasting ``seconds``, as Polly would stream one."""
    samples = array.array(
        "h",
        (
            int(8_000 * math.sin(2 * math.pi * frequency * index / rate))
            for index in range(int(seconds * rate))
        ),
    )
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return bytes(encoder.encode(samples.tobytes()) + encoder.flush())


def audio_stream(data: bytes) -> StreamingBody:
    """An ``AudioStream`` body as botocore returns it."""
    return StreamingBody(io.BytesIO(data), len(data))
