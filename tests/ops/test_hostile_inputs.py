"""A corpus of bad and hostile inputs, each run through the real ``qimeng`` command.

Every case must end with exit 2 (a usage error) or 1 (a failed check) and one line saying what was
wrong and what is allowed: never a traceback, nothing written outside the run directory, and the
runs of earlier commands left as they were.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).parents[2]


@dataclass(frozen=True)
class Case:
    """One bad input: the command line (``{w}`` is the case's work folder), the expected exit code
    and words the error must contain."""

    name: str
    args: tuple[str, ...]
    code: int
    says: str
    env: dict[str, str] = field(default_factory=dict)


CASES = [
    # files named on the command line
    Case("hw-design-dir", ("hw", "design", "@{w}", "--offline"), 2, "is a directory"),
    Case("hw-design-binary", ("hw", "design", "@{w}/binary.bin", "--offline"), 2, "is a binary file"),
    Case("hw-design-latin1", ("hw", "design", "@{w}/latin1.txt", "--offline"), 2, "is not UTF-8"),
    Case("hw-design-empty-file", ("hw", "design", "@{w}/empty.txt", "--offline"), 2, "is empty"),
    Case("hw-design-missing", ("hw", "design", "@{w}/nope.txt", "--offline"), 2, "does not exist"),
    Case("hw-design-blank", ("hw", "design", "   ", "--offline"), 2, "empty"),
    Case("sw-design-binary", ("sw", "design", "@{w}/binary.bin", "--offline"), 2, "is a binary file"),
    Case("sw-design-mips", ("sw", "design", "softmax rows=4 cols=8", "--target", "mips"), 2, "mips"),
    Case("sw-design-negative", ("sw", "design", "gemm -5x4x3 fp32", "--offline"), 2, "gemm"),
    Case(
        "sw-design-huge",
        ("sw", "design", "gemm 100000x100000x100000 fp32", "--offline"),
        2,
        "GiB limit (sandbox.memory_mb",
    ),
    Case("hw-check-binary", ("hw", "check", "{w}/binary.bin", "--ref", "{w}/binary.bin"), 2, "binary"),
    Case("hw-check-dir", ("hw", "check", "{w}", "--ref", "{w}/good.v"), 2, "is a directory"),
    Case("sw-check-dir", ("sw", "check", "{w}", "--ref", "{w}/ref.py", "--trust-ref"), 2, "directory"),
    Case(
        "sw-check-ref-exits",
        ("sw", "check", "{w}/k.c", "--ref", "{w}/ref.py", "--trust-ref"),
        2,
        "failed to import",
    ),
    Case("sw-check-untrusted", ("sw", "check", "{w}/k.c", "--ref", "{w}/ref.py"), 2, "--trust-ref"),
    Case("campaign-binary", ("campaign", "run", "{w}/binary.bin"), 2, "is a binary file"),
    Case("campaign-wrong-types", ("campaign", "run", "{w}/bad.yaml"), 2, "bad.yaml"),
    Case("campaign-traversal", ("campaign", "run", "{w}/bad.yaml", "--run-id", "../../x"), 2, "bad.yaml"),
    Case(
        "design-traversal",
        ("design", "a 4-bit gray code counter", "--offline", "--thread", "../../x"),
        2,
        "invalid thread id",
    ),
    Case("design-empty", ("design", "", "--offline"), 2, "empty request"),
    Case("kb-ingest-missing", ("kb", "ingest", "{w}/nope"), 2, "does not exist"),
    Case("ops-up-data-file", ("ops", "up", "--data", "{w}/empty.txt"), 2, "is a file"),
    # configuration
    Case("env-typo", ("doctor",), 2, "did you mean QIMENG_LLM_BASE_URL", {"QIMENG_LLM_BASEURL": "x"}),
    Case("env-unknown", ("doctor",), 2, "unknown environment variable QIMENG_FOO", {"QIMENG_FOO": "1"}),
    Case("env-nested-typo", ("doctor",), 2, "known sandbox settings", {"QIMENG_SANDBOX__BOGUS": "1"}),
    Case("env-garbage", ("doctor",), 2, "sandbox", {"QIMENG_SANDBOX": "garbage"}),
    Case(
        "run-dir-file",
        ("hw", "design", "8-bit up counter", "--offline"),
        2,
        "is a file",
        {"QIMENG_RUN_DIR": "{w}/empty.txt"},
    ),
]


def _workdir(w: Path) -> None:
    (w / "binary.bin").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    (w / "latin1.txt").write_bytes("un compteur \xe0 8 bits".encode("latin-1"))
    (w / "empty.txt").write_text("")
    (w / "good.v").write_text("module top(input a, output y); assign y = a; endmodule\n")
    (w / "k.c").write_text("void k(void) {}\n")
    (w / "ref.py").write_text("raise SystemExit('this reference must never be imported')\n")
    (w / "bad.yaml").write_text("name: [1, 2]\nsamples: many\n")


def _run(case: Case, work: Path, run_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIMENG_")}
    env.update({"QIMENG_RUN_DIR": str(run_dir), "QIMENG_USE_KNOWLEDGE": "0", "PYTHONPATH": str(ROOT)})
    env.update({k: v.format(w=work) for k, v in case.env.items()})
    args = [a.format(w=work) for a in case.args]
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def _snapshot(root: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in root.rglob("*") if p.is_file()}


def test_every_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs"
    earlier = run_dir / "20260101-000000-abcdef"
    earlier.mkdir(parents=True)
    (earlier / "manifest.json").write_text('{"id": "20260101-000000-abcdef"}')
    works = {c.name: tmp_path / "work" / c.name for c in CASES}
    for w in works.values():
        w.mkdir(parents=True)
        _workdir(w)
    before = {name: _snapshot(w) for name, w in works.items()}
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(zip(CASES, pool.map(lambda c: _run(c, works[c.name], run_dir), CASES), strict=True))
    problems = []
    for case, res in results:
        out = res.stderr + res.stdout
        errors = [line for line in out.splitlines() if line.startswith("error:")]
        if "Traceback" in out:
            problems.append(f"{case.name}: traceback\n{out[-1500:]}")
        elif res.returncode != case.code:
            problems.append(f"{case.name}: exit {res.returncode}, expected {case.code}: {out[-400:]}")
        elif case.says not in out:
            problems.append(f"{case.name}: the error does not say {case.says!r}: {out[-400:]}")
        elif not errors:
            problems.append(f"{case.name}: no 'error:' line: {out[-400:]}")
        if _snapshot(works[case.name]) != before[case.name]:
            problems.append(f"{case.name}: wrote into its working folder")
    assert not problems, "\n".join(problems)
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()
    assert (earlier / "manifest.json").read_text() == '{"id": "20260101-000000-abcdef"}'
