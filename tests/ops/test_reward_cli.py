"""The reward commands refuse bad options with one line and exit 2, before starting anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def qimeng(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_bad_options_are_one_line_usage_errors(tmp_path: Path) -> None:
    cases = [
        (("serve", "reward", "--data", str(tmp_path / "nope")), "is not a directory"),
        (("bench", "reward", "--workers", "one"), "--workers must be comma-separated whole numbers"),
        (("campaign", "next-batch", "--store", str(tmp_path)), "no reward records in"),
        (
            ("campaign", "next-batch", "--kind", "vhdl", "--store", str(tmp_path)),
            "--kind must be verilog or kernel",
        ),
    ]
    for args, message in cases:
        res = qimeng(*args)
        assert res.returncode == 2, (args, res.stderr)
        text = " ".join(res.stderr.split())  # rich wraps long lines at the terminal's width
        assert text.startswith("error: ") and text.count("error: ") == 1, res.stderr
        assert message in text and "Traceback" not in text, res.stderr
