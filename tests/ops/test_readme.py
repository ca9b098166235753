"""The README's examples stay true: every repository path it names exists, and every ``qimeng``
command line in its code blocks names real commands and options (checked against the CLI's own
click tree, without running them). Paths a user fetches or makes first are listed in FETCHED, and the
README says on the same line how to get them."""

from __future__ import annotations

import re
import shlex
import warnings
from pathlib import Path
from typing import Any

import typer

from ops import cli

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ROOMS = ("agents", "graphs", "tools", "knowledge", "cluster", "evals", "ops", "tests", "docs")
FETCHED = ("RUN/", "verilog-eval/", "corpus/", "@my_spec.txt")
"""Placeholders and fetched data: each README line using one says what it is or how to get it."""


def _blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.S)


def _command_lines() -> list[list[str]]:
    lines = []
    for block in _blocks():
        for line in block.splitlines():
            for part in line.split("#", 1)[0].split("&&"):
                words = shlex.split(part)
                if words and words[0] == "qimeng":
                    lines.append(words)
    return lines


def _root() -> Any:
    """The CLI's command tree (typer's own click), every group mounted as 'qimeng --help' sees them."""
    cli._mount(["--help"])
    cli._bench_reward(["bench"])
    with warnings.catch_warnings():  # groups mounted without a name keep their unused callback
        warnings.simplefilter("ignore", UserWarning)
        command = typer.main.get_command(cli.app)
    assert hasattr(command, "commands")
    return command


def test_every_repository_path_the_readme_names_exists() -> None:
    named = set(re.findall(r"`([^`\s]+)`", README))
    for block in _blocks():
        named |= {w for w in block.split() if "/" in w and not w.startswith(("http", "--"))}
    paths = {
        n.rstrip("/")
        for n in named
        if (n.split("/")[0] in ROOMS and "/" in n) or n in ("Makefile", "CONTRIBUTING.md", "pyproject.toml")
    }
    paths = {p for p in paths if not any(c in p for c in "<>*{}$")}
    assert len(paths) > 20, paths  # the README names many; a parsing slip must not pass silently
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"README names paths that do not exist: {missing}"


def test_every_qimeng_line_names_real_commands_options_and_files() -> None:
    root = _root()
    lines = _command_lines()
    assert len(lines) > 15
    for words in lines:
        command = root
        rest = words[1:]
        while hasattr(command, "commands") and rest and not rest[0].startswith("-"):
            sub = command.commands.get(rest[0])
            if sub is None:
                break
            command, rest = sub, rest[1:]
        assert not hasattr(command, "commands"), f"{' '.join(words)}: not a command"
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        for word in rest:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"{' '.join(words)}: no option {word}"
            elif "/" in word and not word.startswith(FETCHED) and ":" not in word:
                assert (ROOT / word).exists(), f"{' '.join(words)}: {word} does not exist in the repository"


def test_lines_with_fetched_data_say_how_to_get_it() -> None:
    for block in _blocks():
        for line in block.splitlines():
            code, _, comment = line.partition("#")
            if any(f" {f}" in code for f in FETCHED if f != "RUN/"):
                fetched_here = "git clone" in code or "QIMENG_" in code
                assert fetched_here or comment.strip() or "git clone" in block, line
    assert "git clone https://github.com/NVlabs/verilog-eval" in README


def test_agent_help_lists_its_values() -> None:
    root = _root()
    agent = next(p for p in root.commands["eval"].commands["verilog-eval"].params if p.name == "agent")
    assert agent.help is not None
    from evals.verilog_eval import AGENTS

    for name in AGENTS:
        assert f"'{name}'" in agent.help
