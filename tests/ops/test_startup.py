"""Commands that do not talk to an LLM, and arguments refused before any work, load none of the heavy
libraries (the LLM client, LangGraph, ChromaDB, PyTorch, Ray): what they import is checked, not how
long it takes (start-up times are measured by hand, see the commit messages of issue 16)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "hdl"
HEAVY = ("langchain_openai", "openai", "langgraph", "chromadb", "torch", "ray", "sentence_transformers")
PROBE = """
import json, os, sys
from ops.cli import main
code = main(sys.argv[1:])
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(os.environ["HEAVY_MODULES"].split()))
print("\\nPROBE " + json.dumps({"code": code, "heavy": heavy}))
"""


def _probe(*args: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIMENG_LLM")}
    env["HEAVY_MODULES"] = " ".join(HEAVY)
    res = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = next(x for x in res.stdout.splitlines() if x.startswith("PROBE "))
    result: dict[str, object] = json.loads(line.removeprefix("PROBE "))
    result["stderr"] = res.stderr
    return result


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--version",), 0),
        (("--help",), 0),
        (("hw", "--help"), 0),
        (("hw", "check", str(FIXTURES / "counter.v"), "--ref", str(FIXTURES / "counter_model.py")), 0),
        (("sw", "design", "gemm 8x8x8 fp32", "--target", "mips"), 2),
        (("design", "  "), 2),
        (("hw", "design", "  "), 2),
    ],
)
def test_light_commands_load_no_heavy_library(args: tuple[str, ...], code: int) -> None:
    result = _probe(*args)
    assert result["code"] == code, result["stderr"]
    assert result["heavy"] == [], f"qimeng {' '.join(args)} imported {result['heavy']}"


def test_a_refused_target_says_so_in_one_line() -> None:
    result = _probe("sw", "design", "gemm 8x8x8 fp32", "--target", "mips")
    stderr = str(result["stderr"]).strip()
    assert stderr == "error: unknown target 'mips'; known targets: aarch64, cuda, riscv64, x86_64"
