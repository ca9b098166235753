"""Shared helpers for the tools.hdl tests: read a fixture by name."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hdl"
VERILOG_EVAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "verilog-eval-v2"


def fixture(name: str) -> str:
    """Text of ``tests/fixtures/hdl/<name>``."""
    return (FIXTURES / name).read_text(encoding="utf-8")
