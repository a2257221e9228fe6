from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scriba import layout
from scriba.config import Settings
from scriba.models.document import Source


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


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("c1\x85control\x9b.pdf", "c1_control_.pdf"),  # C1 controls (NEL, CSI)
        ("invoice-\u202efdp.exe", "invoice-_fdp.exe"),  # right-to-left override
        ("isolate\u2066x\u2069.pdf", "isolate_x_.pdf"),
        ("line\u2028separator.pdf", "line_separator.pdf"),
        ("new\nline.pdf", "new_line.pdf"),
        ("lone\ud800surrogate.pdf", "lone_surrogate.pdf"),
    ],
)
def test_safe_key_removes_invisible_and_line_breaking_characters(key: str, expected: str) -> None:
    assert layout.safe_key(key) == expected


_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@given(st.text(min_size=1, max_size=200))
def test_safe_key_never_leaves_a_control_or_direction_mark(key: str) -> None:
    assert not _INVISIBLE.search(layout.safe_key(key))


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


# Keys as S3 has them: any UTF-8 up to 1,024 bytes, hostile pieces over-represented.
_KEY_PIECES = st.sampled_from(["..", ".", "/", "//", "\\", "\n", "\x1b", "\u202e", "é", "e\u0301"])
s3_keys = (
    st.lists(st.one_of(_KEY_PIECES, st.text(min_size=1, max_size=300)), min_size=1, max_size=8)
    .map("".join)
    .filter(lambda key: 0 < _utf8(key) <= layout.MAX_KEY_BYTES)
)


@given(s3_keys)
def test_document_folder_is_safe_and_fits_s3_and_file_systems(key: str) -> None:
    folder = layout.document_folder(key, 900)
    assert layout.safe_key(folder) == folder
    assert _utf8(folder) <= 900
    assert all(0 < _utf8(name) <= layout.MAX_NAME_BYTES for name in folder.split("/"))


@given(s3_keys, s3_keys)
def test_distinct_keys_never_share_a_results_folder(one: str, two: str) -> None:
    if one != two:
        assert layout.document_folder(one) != layout.document_folder(two)


@pytest.mark.parametrize(
    "key", ["report.pdf", "team a/ünï 文件.pdf", "100% sure +1.pdf", "a/" * 100 + "deep.pdf"]
)
def test_a_safe_key_that_fits_is_its_own_folder(key: str) -> None:
    assert layout.document_folder(key) == key


def test_a_cleaned_key_is_kept_apart_from_the_key_it_resembles() -> None:
    climbing = layout.document_folder("../../escape/up.pdf")
    assert climbing.startswith("escape/up.pdf~") and len(climbing) == len("escape/up.pdf") + 13
    assert climbing != layout.document_folder("escape/up.pdf") == "escape/up.pdf"
    assert layout.document_folder("cafe\u0301.pdf") != layout.document_folder("caf\u00e9.pdf")


def test_a_1024_byte_key_gets_an_output_prefix_with_room_for_every_artifact() -> None:
    key = "long/" + "x" * 300 + "/" + "名" * 237 + "y" * 3 + ".pdf"
    assert _utf8(key) == 1024
    prefix = layout.output_prefix(Settings(output_bucket="out-bucket"), source(key))
    longest = prefix.child(layout.translation_path("pt-br")).key
    assert _utf8(longest) <= layout.MAX_KEY_BYTES
    assert all(_utf8(name) <= layout.MAX_NAME_BYTES for name in longest.split("/"))
    assert prefix.key.startswith("documents/long/xxx")


@given(s3_keys)
def test_a_local_results_folder_stays_inside_the_out_folder(
    tmp_path_factory: pytest.TempPathFactory, key: str
) -> None:
    out = tmp_path_factory.mktemp("out")
    target = out / layout.results_folder(Settings(), source(key))
    target.mkdir(parents=True)  # the file system accepts every name
    assert target.resolve().is_relative_to(out.resolve())
