"""Files a user names: every wrong kind of file is one clear error."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools.errors import UsageError
from tools.userfile import read_at_arg, read_user_text


def test_text_is_read(tmp_path: Path) -> None:
    (tmp_path / "spec.txt").write_text("an 8-bit counter\n")
    assert read_at_arg(f"@{tmp_path / 'spec.txt'}") == "an 8-bit counter\n"
    assert read_at_arg("an 8-bit counter") == "an 8-bit counter"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "does not exist"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(b"\x7fELF\x00\x01\x02"), "is a binary file"),
        (lambda p: p.write_bytes("caf\xe9".encode("latin-1")), "is not UTF-8 text (bad byte at offset 3)"),
        (lambda p: p.write_text("  \n"), "is empty"),
        (lambda p: p.write_text("x" * 2000), "over the 0 MiB limit"),
        (lambda p: os.mkfifo(p), "not a regular file"),
    ],
)
def test_wrong_files_are_one_line_errors(tmp_path: Path, make: object, message: str) -> None:
    path = tmp_path / "spec.txt"
    make(path)  # type: ignore[operator]
    with pytest.raises(UsageError) as err:
        read_user_text(path, "spec file", max_bytes=1000)
    assert message in str(err.value) and str(path) in str(err.value)
    assert "\n" not in str(err.value)
