"""Prompt templates: Jinja2 files that live next to their agent (``agents/<agent>/prompts/*.j2``).

Usage from an agent module::

    PROMPTS = PromptTemplates.beside(__file__)          # agents/hw/prompts/
    text = PROMPTS.render("designer", request=req.text, feedback=None)

Rendering is strict about what matters: a value that is printed, looped over or indexed must be
given, or :class:`PromptError` names the template and every missing value at once. A value that is
only tested (``{% if feedback %}``, ``{% if x is defined %}``, ``x | default(...)``) may be left out
and counts as false, so optional sections need no placeholder. Block tags do not leave blank lines
(``trim_blocks``/``lstrip_blocks``); nothing is HTML-escaped. Filter ``json`` dumps a value as
indented JSON without HTML escaping (unlike Jinja's ``tojson``, which mangles ``<=``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import jinja2.utils

from tools.errors import QimengError

SUFFIX = ".j2"
AGENTS_ROOT = Path(__file__).resolve().parent


class PromptError(QimengError):
    """A prompt template is unknown, malformed, or was rendered without a value it needs."""


_MISSING: ContextVar[list[str] | None] = ContextVar("qimeng_prompt_missing", default=None)


class _RecordingUndefined(jinja2.Undefined):
    """A missing value: false in truth tests; any other use is noted so render can name them all."""

    def _note(self) -> None:
        found = _MISSING.get()
        if found is None:
            return
        top_level = self._undefined_obj is jinja2.utils.missing
        found.append(f"needs a value for {self._undefined_name}" if top_level else self._undefined_message)

    def __str__(self) -> str:
        self._note()
        return ""

    def __iter__(self) -> Iterator[Any]:
        self._note()
        return iter(())

    def __len__(self) -> int:
        self._note()
        return 0

    def __bool__(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        self._note()
        return self

    __getitem__ = __getattr__


def _to_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str)


@lru_cache(maxsize=64)
def _environment(directory: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        undefined=_RecordingUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["json"] = _to_json
    return env


class PromptTemplates:
    """The ``*.j2`` prompt templates in one directory, rendered by name (``"designer"`` or ``"designer.j2"``).

    Raises:
        PromptError: when ``directory`` is not a directory.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory).resolve()
        if not self.directory.is_dir():
            raise PromptError(
                f"prompt directory {self.directory} does not exist; create it and put *{SUFFIX} files in it"
            )
        self._env = _environment(self.directory)

    @classmethod
    def beside(cls, module_file: str | Path, folder: str = "prompts") -> PromptTemplates:
        """The templates in ``<folder>/`` next to ``module_file`` (pass the agent module's ``__file__``)."""
        return cls(Path(module_file).resolve().parent / folder)

    def names(self) -> list[str]:
        """Template names (file stems) available here, sorted."""
        return sorted(p.name[: -len(SUFFIX)] for p in self.directory.glob(f"*{SUFFIX}") if p.is_file())

    def path(self, name: str) -> Path:
        """The file behind template ``name``.

        Raises:
            PromptError: ``name`` is not a plain file name, or no such template exists (lists the known ones).
        """
        stem = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else name
        if not stem or "/" in stem or "\\" in stem or stem.startswith("."):
            raise PromptError(f"prompt template name {name!r} must be a plain file name like 'designer'")
        path = self.directory / f"{stem}{SUFFIX}"
        if not path.is_file():
            known = ", ".join(self.names()) or "none"
            raise PromptError(f"no prompt template '{stem}' in {self.directory}; known templates: {known}")
        return path

    def variables(self, name: str) -> set[str]:
        """Names the template reads from its values (including those it only tests with ``if``)."""
        path = self.path(name)
        try:
            ast = self._env.parse(path.read_text(encoding="utf-8"))
        except jinja2.TemplateSyntaxError as exc:
            raise _syntax_error(path, exc) from None
        return set(jinja2.meta.find_undeclared_variables(ast))

    def render(self, name: str, /, **values: Any) -> str:
        """Render template ``name`` with ``values``.

        Raises:
            PromptError: unknown template, a syntax error (file and line), or a needed value missing
                (names the missing values and the values the template reads).
        """
        path = self.path(name)
        token = _MISSING.set([])
        try:
            text = self._env.get_template(path.name).render(**values)
            missing = list(dict.fromkeys(_MISSING.get() or []))
        except jinja2.TemplateSyntaxError as exc:
            raise _syntax_error(path, exc) from None
        except jinja2.UndefinedError as exc:  # a missing value used in arithmetic or a call
            missing = [exc.message or "a value is undefined"]
        finally:
            _MISSING.reset(token)
        if missing:
            needed = [m.removeprefix("needs a value for ") for m in missing if m.startswith("needs a value")]
            other = [m for m in missing if not m.startswith("needs a value")]
            problems = ([f"needs a value for {', '.join(needed)}"] if needed else []) + other
            reads = ", ".join(sorted(self.variables(name)))
            raise PromptError(
                f"prompt template {path.name} ({self.directory}) {'; '.join(problems)}; it reads: {reads}"
            )
        return text


def _syntax_error(path: Path, exc: jinja2.TemplateSyntaxError) -> PromptError:
    return PromptError(f"prompt template {path} line {exc.lineno}: {exc.message}")


def prompts_for(agent: str, *, root: Path = AGENTS_ROOT) -> PromptTemplates:
    """The templates of agent package ``agent`` (``agents/<agent>/prompts``).

    Raises:
        PromptError: no such agent with prompts; lists the agents that have a ``prompts/`` folder.
    """
    directory = root / agent / "prompts"
    if "/" in agent or "\\" in agent or agent.startswith(".") or not directory.is_dir():
        known = ", ".join(sorted(p.parent.name for p in root.glob("*/prompts") if p.is_dir())) or "none"
        raise PromptError(
            f"no agent '{agent}' with prompt templates under {root}; agents with prompts: {known}"
        )
    return PromptTemplates(directory)
