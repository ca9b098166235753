"""The LLM roles of the software subgraph behind small Protocols: a designer that writes (and
repairs) a kernel from the spec, and an independent tester that picks test sizes from the spec
alone (MuSL style: it never sees the code). Prompts live in ``prompts/*.j2``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

import jinja2

from agents.llm import LLMClient
from tools.errors import QimengError
from tools.kernels import KernelSpec

_PROMPTS = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("prompts")),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
)
MAX_TEST_SHAPES = 6
MAX_TEST_ELEMENTS = 1 << 20
"""The tester's shapes are capped so a generous model cannot make the check slow."""


class KernelDesigner(Protocol):
    """Writes a kernel for ``spec`` on ``target``; given feedback, repairs ``previous``."""

    def generate(
        self, spec: KernelSpec, target: str, feedback: str | None, previous: str | None, context: str = ""
    ) -> str: ...


class KernelTester(Protocol):
    """Chooses extra test shapes from the spec alone."""

    def shapes(self, spec: KernelSpec) -> list[dict[str, int | float]]: ...


class LlmDesigner:
    """:class:`KernelDesigner` through an LLM."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client

    def generate(
        self, spec: KernelSpec, target: str, feedback: str | None, previous: str | None, context: str = ""
    ) -> str:
        """The kernel's C source from the model's answer (``context``: retrieved documents, untrusted).

        Raises:
            QimengError: when the answer holds no code.
        """
        prompt = _PROMPTS.get_template("designer.j2").render(
            target=target,
            prototype=spec.prototype(),
            description=spec.description,
            bench=spec.bench_shapes[0] if spec.bench_shapes else spec.shapes[-1],
            feedback=feedback or "",
            previous=previous or "",
            context=context,
        )
        return _code(str(self.client.invoke(prompt, agent="sw.designer").content), "c|cpp|cuda")


class LlmTester:
    """:class:`KernelTester` through an LLM; its shapes are validated and capped before use."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client

    def shapes(self, spec: KernelSpec) -> list[dict[str, int | float]]:
        """Extra test shapes (fixed scalars of the spec's shapes carried over), invalid ones dropped."""
        ints = [a.name for a in spec.scalars if not a.dtype.startswith("f")]
        fixed = {k: v for k, v in spec.shapes[0].items() if k not in ints}
        prompt = _PROMPTS.get_template("tester.j2").render(
            prototype=spec.prototype(),
            description=spec.description,
            dims=", ".join(ints),
            constraints="all sizes >= 1",
            limit=MAX_TEST_SHAPES,
            example=json.dumps({n: 7 for n in ints}),
        )
        answer = _code(str(self.client.invoke(prompt, agent="sw.tester").content), "json")
        try:
            raw = json.loads(answer)
        except json.JSONDecodeError as exc:
            raise QimengError(f"the tester's answer is not JSON: {exc}") from None
        return [s for s in (_shape(item, ints, fixed, spec) for item in raw[:MAX_TEST_SHAPES]) if s]


def _shape(
    item: Any, ints: list[str], fixed: dict[str, int | float], spec: KernelSpec
) -> dict[str, int | float]:
    if not isinstance(item, dict) or set(item) != set(ints):
        return {}
    if not all(isinstance(v, int) and v >= 1 for v in item.values()):
        return {}
    shape: dict[str, int | float] = {**item, **fixed}
    try:
        total = sum(int(_prod(a.dims(shape))) for a in spec.arrays)
    except QimengError:
        return {}
    return shape if total <= MAX_TEST_ELEMENTS else {}


def _prod(dims: tuple[int, ...]) -> int:
    out = 1
    for d in dims:
        out *= d
    return out


def _code(answer: str, langs: str) -> str:
    match = re.search(rf"```(?:{langs})?\s*\n(.*?)```", answer, re.S | re.I)
    if match:
        return match.group(1)
    if "```" in answer:
        raise QimengError("the model's answer has an unterminated code block")
    return answer
