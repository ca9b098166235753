"""Imports run one way around the executor seam: agents and tools never see cluster, evals never
imports cluster (cluster's campaign tasks use the evaluators, so the reverse would be a loop)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]
FORBIDDEN = {
    "tools": {"agents", "graphs", "cluster", "evals", "ray"},
    "agents": {"graphs", "cluster", "evals", "ray"},
    "evals": {"cluster", "ray"},
}


def imported(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_no_room_imports_against_the_direction() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for room, banned in FORBIDDEN.items()
        for path in sorted((ROOT / room).rglob("*.py"))
        for name in imported(path)
        if name.split(".")[0] in banned
    ]
    assert offenders == []


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from cluster.ray_executor import RayExecutor\n    return RayExecutor\n")
    assert imported(bad) == ["cluster.ray_executor"]
