"""A corpus of bad and hostile inputs, each run through the real ``qimeng`` command.

Every case must end with exit 2 (a usage error) or 1 (a failed check) and one line saying what was
wrong and what is allowed: never a traceback, nothing written outside the run directory, no
process of the sandbox left behind, and the runs of earlier commands left as they were.

Hostile designs and kernels run with small limits (``SMALL``) so the corpus stays fast; the
sandbox uses a uid range of this test's own, so "no process left" sees only this test's.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).parents[2]
SMALL = {"QIMENG_SANDBOX__WALL_S": "3", "QIMENG_SANDBOX__FSIZE_MB": "4"}
"""Limits for hostile programs: an endless one is stopped after 3 s, a writer at 4 MiB."""
UID_SLOTS = 8
UID_BASE = random.randrange(1_900_000_000, 2_100_000_000, UID_SLOTS)
"""This test's own sandbox uids (a random range, apart from other tests running at the time)."""
MARKER = "qimeng-hostile"
"""What hostile programs try to write outside their sandbox (host /tmp, /etc, /etc/passwd)."""


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
    Case("config-toml-wrong-type", ("doctor",), 2, "sandbox.wall_s", {"QIMENG_CONFIG": "{w}/type.toml"}),
    Case("config-toml-int", ("doctor",), 2, "llm_max_retries", {"QIMENG_CONFIG": "{w}/int.toml"}),
    Case("config-toml-broken", ("doctor",), 2, "is not valid TOML", {"QIMENG_CONFIG": "{w}/broken.toml"}),
    Case("campaign-yaml-list", ("campaign", "run", "{w}/list.yaml"), 2, "is a mapping with keys"),
    Case("hw-design-huge-file", ("hw", "design", "@{w}/huge.txt", "--offline"), 2, "over the 4 MiB limit"),
    Case("design-unbuildable", ("design", "a flux capacitor", "--offline"), 2, "it can build: adder,"),
    # hostile RTL through hw check (the reference is good.v: y = a)
    Case(
        "hw-check-cycles",
        ("hw", "check", "{w}/good.v", "--ref", "{w}/good.v", "--cycles", "100000000"),
        2,
        "QIMENG_CHECK_MAX_CYCLES",
    ),
    Case(
        "hw-check-seeds",
        ("hw", "check", "{w}/good.v", "--ref", "{w}/good.v", "--seeds", ",".join(map(str, range(99)))),
        2,
        "check_max_seeds",
    ),
    Case("hw-check-syntax", ("hw", "check", "{w}/syntax.v", "--ref", "{w}/good.v"), 1, "syntax.v:2:"),
    Case("hw-synth-syntax", ("hw", "synth", "{w}/syntax.v"), 1, "syntax.v:2:"),
    Case("hw-check-system", ("hw", "check", "{w}/system.v", "--ref", "{w}/good.v"), 1, "$system", SMALL),
    Case("hw-check-passwd", ("hw", "check", "{w}/passwd.v", "--ref", "{w}/good.v"), 1, "mismatching", SMALL),
    Case(
        "hw-check-endless",
        ("hw", "check", "{w}/endless.v", "--ref", "{w}/good.v"),
        1,
        "did not finish",
        SMALL,
    ),
    Case(
        "hw-check-display-1gb",
        ("hw", "check", "{w}/display.v", "--ref", "{w}/good.v"),
        1,
        "did not finish",
        SMALL,
    ),
    Case(
        "hw-check-fwrite",
        ("hw", "check", "{w}/fwrite.v", "--ref", "{w}/good.v"),
        1,
        "sandbox.fsize_mb",
        SMALL,
    ),
    # hostile kernels through sw check (the reference is a trusted SPEC: y = 1)
    Case(
        "sw-check-fork-bomb",
        ("sw", "check", "{w}/bomb.c", "--ref", "{w}/fill.py", "--trust-ref"),
        1,
        "wall limit",
        SMALL,
    ),
    Case(
        "sw-check-endless",
        ("sw", "check", "{w}/spin.c", "--ref", "{w}/fill.py", "--trust-ref"),
        1,
        "wall limit",
        SMALL,
    ),
    Case(
        "sw-check-huge-output",
        ("sw", "check", "{w}/loud.c", "--ref", "{w}/fill.py", "--trust-ref"),
        1,
        "fsize limit of 4 MiB (setting sandbox.fsize_mb, QIMENG_SANDBOX__FSIZE_MB)",
        SMALL,
    ),
]

HOSTILE_FILES = {
    "syntax.v": "module top(input a, output y);\n  assign y = a +;\nendmodule\n",
    "system.v": "module top(input a, output y);\n  assign y = ~a;\n"
    f'  initial $system("touch /tmp/{MARKER}; echo x > /etc/{MARKER}");\nendmodule\n',
    "passwd.v": "module top(input a, output y);\n  integer f;\n  assign y = ~a;\n"
    f'  initial begin f = $fopen("/etc/passwd", "a"); $fdisplay(f, "{MARKER}::0:0::/:/bin/sh"); end\nendmodule\n',
    "endless.v": "module top(input a, output y);\n  reg r;\n  assign y = a;\n  initial r = 0;\n"
    "  always @(r) r <= ~r;\nendmodule\n",
    # hidden from Yosys (which defines SYNTHESIS), so it reaches the simulator: 1.1 GB of $display
    "display.v": "module top(input a, output y);\n  assign y = a;\n`ifndef SYNTHESIS\n  integer i;\n"
    '  initial for (i = 0; i < 100000000; i = i + 1) $display("0123456789");\n`endif\nendmodule\n',
    "fwrite.v": "module top(input a, output y);\n  integer f;\n  assign y = a;\n  initial begin "
    'f = $fopen("junk.txt", "w"); forever $fwrite(f, "0123456789012345678901234567890123456789"); end\n'
    "endmodule\n",
    "fill.py": "import numpy as np\n\nfrom tools.kernels import KernelArg, KernelSpec\n\nSPEC = KernelSpec(\n"
    '    name="fill",\n    args=[KernelArg(name="n", role="scalar", dtype="i32"),\n'
    '          KernelArg(name="y", role="out", dtype="f32", shape=["n"])],\n'
    '    reference=lambda n: {"y": np.ones(n, dtype=np.float32)},\n    flops="n",\n    bytes_moved="4*n",\n'
    '    shapes=[{"n": 5}],\n    bench_shapes=[{"n": 64}],\n)\n',
    "bomb.c": "#include <unistd.h>\nvoid fill(int n, float *y) { for (;;) fork(); }\n",
    "spin.c": "void fill(int n, float *y) { for (;;) { } }\n",
    "loud.c": "#include <stdio.h>\nvoid fill(int n, float *y) {\n  for (long i = 0; i < 100000000000L; i++)\n"
    '    puts("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");\n}\n',
    "type.toml": '[sandbox]\nwall_s = "fast"\n',
    "int.toml": 'llm_max_retries = "many"\n',
    "broken.toml": "[sandbox\nwall_s = 3\n",
    "list.yaml": "- a\n- b\n",
}


def _workdir(w: Path) -> None:
    (w / "binary.bin").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    (w / "latin1.txt").write_bytes("un compteur \xe0 8 bits".encode("latin-1"))
    (w / "empty.txt").write_text("")
    (w / "good.v").write_text("module top(input a, output y); assign y = a; endmodule\n")
    (w / "k.c").write_text("void k(void) {}\n")
    (w / "ref.py").write_text("raise SystemExit('this reference must never be imported')\n")
    (w / "bad.yaml").write_text("name: [1, 2]\nsamples: many\n")
    for name, text in HOSTILE_FILES.items():
        (w / name).write_text(text)
    (w / "huge.txt").write_text("an 8-bit counter " * 300_000)  # 5 MB


def _run(case: Case, work: Path, run_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIMENG_")}
    env.update({"QIMENG_RUN_DIR": str(run_dir), "QIMENG_USE_KNOWLEDGE": "0", "PYTHONPATH": str(ROOT)})
    env.update({"QIMENG_SANDBOX__UID": str(UID_BASE), "QIMENG_SANDBOX__UID_SLOTS": str(UID_SLOTS)})
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


def _sandbox_processes() -> list[str]:
    """Processes of this test's sandbox uids that are still there."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and UID_BASE <= entry.stat().st_uid < UID_BASE + UID_SLOTS:
                found.append(f"{entry.name} {(entry / 'comm').read_text().strip()}")
        except OSError:
            continue
    return found


def _outside_untouched() -> list[str]:
    """What hostile programs managed to write outside their sandbox (nothing, we hope)."""
    wrote = [p for p in (f"/tmp/{MARKER}", f"/etc/{MARKER}") if Path(p).exists()]
    if MARKER in Path("/etc/passwd").read_text():
        wrote.append("/etc/passwd")
    return wrote


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
    with ThreadPoolExecutor(max_workers=4) as pool:
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
        elif case.code == 2 and not errors:
            problems.append(f"{case.name}: no 'error:' line: {out[-400:]}")
        if _snapshot(works[case.name]) != before[case.name]:
            problems.append(f"{case.name}: wrote into its working folder")
    assert not problems, "\n".join(problems)
    assert _sandbox_processes() == [], "sandboxed processes outlived their command"
    assert _outside_untouched() == [], "a hostile program wrote outside its sandbox"
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()
    assert (earlier / "manifest.json").read_text() == '{"id": "20260101-000000-abcdef"}'


def test_ctrl_c_stops_a_long_check_at_once(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    _workdir(work)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIMENG_")}
    env.update(
        {"QIMENG_RUN_DIR": str(tmp_path / "runs"), "QIMENG_USE_KNOWLEDGE": "0", "PYTHONPATH": str(ROOT)}
    )
    env.update({"QIMENG_SANDBOX__UID": str(UID_BASE), "QIMENG_SANDBOX__UID_SLOTS": str(UID_SLOTS)})
    seeds = ",".join(map(str, range(1, 17)))
    args = ["hw", "check", str(work / "endless.v"), "--ref", str(work / "good.v"), "--seeds", seeds]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ops.cli", *args, "--cycles", "5000"],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:  # a long check prints its stages; interrupt it while it simulates
        seen.append(line)
        if line.startswith("simulating"):
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    start = time.monotonic()
    out = "".join(seen) + proc.communicate(timeout=30)[0]
    took = time.monotonic() - start
    assert proc.returncode == 130, out
    assert "interrupted" in out.splitlines()[-1], out  # says so, as every command does
    assert "Traceback" not in out
    # a bound, not a speed figure: before the fix it took 5-30 s
    assert took < 15, f"exit took {took:.1f}s after Ctrl-C"
    assert _sandbox_processes() == []
