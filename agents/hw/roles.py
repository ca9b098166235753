"""The three roles of the hardware loop behind small protocols: a designer writes RTL, a tester
writes the reference model from the spec (never from the RTL), a judge decides who is wrong.

Two implementations: offline (the generator library; deterministic) and LLM (prompts from
``agents/hw/prompts/*.j2`` through :class:`agents.llm.LLMClient`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, Protocol

import jinja2

from agents.hw.binding import Design
from agents.hw.interpretation import readings_of_tester
from agents.hw.offline import design_request, variants
from agents.hw.request import HwRequest
from agents.hw.state import Candidate, Reference
from agents.llm import LLMClient
from tools.errors import QimengError

Blame = Literal["candidate", "reference"]

_PROMPTS = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("prompts")),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)


def render(template: str, **values: object) -> str:
    """Render ``agents/hw/prompts/<template>.j2``."""
    return _PROMPTS.get_template(f"{template}.j2").render(**values)


class Designer(Protocol):
    """Writes candidate RTL for a request; ``repair`` answers a failed check."""

    def propose(self, req: HwRequest, samples: int) -> list[Candidate]: ...

    def repair(self, req: HwRequest, failed: Candidate, tried: list[Candidate]) -> list[Candidate]: ...


class Tester(Protocol):
    """Writes the reference model from the request text alone."""

    def reference(self, req: HwRequest, feedback: str | None = None) -> Reference: ...


class Judge(Protocol):
    """Decides which side of a disagreement is wrong."""

    def blame(self, req: HwRequest, failed: Candidate, ref: Reference) -> Blame: ...


# ---- offline --------------------------------------------------------------------------------


def _candidate(d: Design, variant: dict[str, object]) -> Candidate:
    return Candidate(rtl=d.rtl, top=d.top, origin=f"offline:{d.generator}", variant=dict(variant))


class OfflineDesigner:
    """Candidates from the generator library: the requested parameters, plus area variants."""

    def propose(self, req: HwRequest, samples: int) -> list[Candidate]:
        """Up to ``samples`` candidates, one per parameter variant (at least one)."""
        picks = variants(req)[: max(1, samples)]
        return [_candidate(design_request(req, v), v) for v in picks]

    def repair(self, req: HwRequest, failed: Candidate, tried: list[Candidate]) -> list[Candidate]:
        """Variants not tried yet (a generator cannot learn from feedback; it can only try another)."""
        seen = [c.variant for c in tried]
        return [_candidate(design_request(req, v), v) for v in variants(req) if v not in seen][:1]


class OfflineTester:
    """The generator's own reference model, written apart from its RTL emitter."""

    def reference(self, req: HwRequest, feedback: str | None = None) -> Reference:
        """The model for the request's parameters (area variants share one model)."""
        d = design_request(req)
        return Reference(
            source=d.model,
            origin=f"offline:{d.generator}",
            ports=d.interface.ports,
            clock=d.clock,
            reset=d.reset,
        )


class OfflineJudge:
    """Offline the reference is the library's plain-Python model: the candidate is blamed."""

    def blame(self, req: HwRequest, failed: Candidate, ref: Reference) -> Blame:
        """Always 'candidate'."""
        return "candidate"


# ---- LLM ------------------------------------------------------------------------------------


def _code(text: str, lang: str) -> str:
    blocks = re.findall(r"```(?:" + lang + r")?[^\n]*\n(.*?)```", text, re.S | re.I)
    if blocks:
        return str(max(blocks, key=len))
    if "```" not in text and text.strip():
        return text
    raise QimengError(f"the model's answer holds no ```{lang} code block")


def _iface_text(req: HwRequest) -> str:
    return req.interface.header() if req.interface else ""


class LlmDesigner:
    """RTL from the LLM; each sample is a separate call."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client

    def _ask(self, req: HwRequest, previous: str = "", feedback: str = "") -> Candidate:
        prompt = render(
            "designer",
            request=req.text,
            interface=_iface_text(req),
            module=req.module,
            previous=previous,
            feedback=feedback,
            context=req.context,
        )
        rtl = _code(
            str(self.client.invoke(prompt, agent="hw.designer").content), "verilog|systemverilog|v|sv"
        )
        return Candidate(rtl=rtl, top=req.module, origin="llm:designer")

    def propose(self, req: HwRequest, samples: int) -> list[Candidate]:
        """``samples`` independent answers."""
        return [self._ask(req) for _ in range(max(1, samples))]

    def repair(self, req: HwRequest, failed: Candidate, tried: list[Candidate]) -> list[Candidate]:
        """One corrected answer given the checker's feedback."""
        return [self._ask(req, failed.rtl, failed.feedback)]


class LlmTester:
    """A reference model from the LLM, written from the request text only."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client

    def reference(self, req: HwRequest, feedback: str | None = None) -> Reference:
        """Ask for ``class Model``; the interface (if the request gives one) is enforced by the checker."""
        prompt = render("tester", request=req.text, interface=_iface_text(req), feedback=feedback or "")
        answer = str(self.client.invoke(prompt, agent="hw.tester").content)
        source = _code(answer, "python|py")
        ports = req.interface.ports if req.interface else []
        return Reference(
            source=source, origin="llm:tester", ports=ports, readings=readings_of_tester(answer, req.text)
        )


class LlmJudge:
    """Asks the LLM which side is wrong; anything but a clear 'reference' blames the candidate."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client

    def blame(self, req: HwRequest, failed: Candidate, ref: Reference) -> Blame:
        """'candidate' or 'reference'."""
        prompt = render("judge", request=req.text, rtl=failed.rtl, model=ref.source, feedback=failed.feedback)
        answer = str(self.client.invoke(prompt, agent="hw.judge").content).strip().lower()
        return "reference" if answer.startswith("reference") else "candidate"
