from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scriba import layout
from scriba.config import Settings
from scriba.document import Source


def source(key: str, version: str | None = "v1", etag: str | None = "e1") -> Source:
    return Source(bucket="in-bucket", key=key, version_id=version, etag=etag)


def test_same_object_version_gives_the_same_execution_name() -> None:
    assert layout.execution_name(source("a/report.pdf")) == layout.execution_name(
        source("a/report.pdf")
    )


def test_another_version_or_key_gives_another_name() -> None:
    names = {
        layout.execution_name(source("a/report.pdf", "v1")),
        layout.execution_name(source("a/report.pdf", "v2")),
        layout.execution_name(source("b/report.pdf", "v1")),
        layout.execution_name(source("a/report.pdf", "v1"), attempt=1),
    }
    assert len(names) == 4


def test_etag_identifies_the_version_when_versioning_is_off() -> None:
    assert layout.execution_name(source("x.pdf", None, "aaa")) != layout.execution_name(
        source("x.pdf", None, "bbb")
    )


@given(st.text(min_size=1, max_size=300).filter(lambda k: len(k.encode()) <= 1024))
def test_execution_names_are_always_valid(key: str) -> None:
    name = layout.execution_name(source(key))
    assert 1 <= len(name) <= 80
    assert re.fullmatch(r"[A-Za-z0-9_-]+", name)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("deep/prefix/of/keys/report.pdf", "deep/prefix/of/keys/report.pdf"),
        ("../../etc/passwd", "etc/passwd"),
        ("/absolute/path.pdf", "absolute/path.pdf"),
        ("a/./b//c.pdf", "a/b/c.pdf"),
        ("bad\x00name\x1f.pdf", "bad_name_.pdf"),
        ("spaces and + plus%20.pdf", "spaces and + plus%20.pdf"),
        ("ünïcødé/文件.pdf", "ünïcødé/文件.pdf"),
        ("..", "_"),
        ("win\\dows\\path.pdf", "win/dows/path.pdf"),
    ],
)
def test_safe_key(key: str, expected: str) -> None:
    assert layout.safe_key(key) == expected


@given(st.text(min_size=1, max_size=200))
def test_safe_key_never_escapes(key: str) -> None:
    safe = layout.safe_key(key)
    assert not safe.startswith("/")
    assert ".." not in safe.split("/")
    assert not re.search(r"[\x00-\x1f\x7f]", safe)


def test_output_prefix_keeps_prefixes_apart() -> None:
    settings = Settings(output_bucket="out-bucket")
    one = layout.output_prefix(settings, source("team-a/report.pdf"))
    two = layout.output_prefix(settings, source("team-b/report.pdf"))
    assert one.key == "documents/team-a/report.pdf"
    assert one.key != two.key
    assert one.bucket == "out-bucket"
