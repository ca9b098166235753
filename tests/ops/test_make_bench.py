"""`make bench` names only commands that exist (it once called a command group with no command)."""

from __future__ import annotations

import re
import shlex

from tests.ops.test_cli import ROOT, qimeng


def test_every_bench_of_make_bench_is_a_command_that_parses() -> None:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^BENCHES := (.+)$", makefile, re.M)
    assert match, "Makefile has no BENCHES list"
    benches = shlex.split(match.group(1))
    assert len(benches) >= 3
    for bench in benches:
        res = qimeng(*shlex.split(bench), "--help")
        assert res.returncode == 0, f"qimeng {bench}: {res.stderr[-400:]}"
        assert "Usage: qimeng" in res.stdout
