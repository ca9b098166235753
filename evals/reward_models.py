"""The reward service's boundary: what a caller sends per item, and what comes back per item.

An item names its golden either by ``problem`` (a VerilogEval id the service has data for, or a
kernel name of the template library) or, for Verilog, by the golden RTL itself. The answer per
item is a :class:`RewardResult`: the reward, the verdict with its reason, the first mismatch and
the checker's evidence. Nothing here runs a tool.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tools.evidence import Check

MAX_COMPLETION_CHARS = 200_000
"""Longest completion accepted (CodeV-R1 completions with long reasoning fit easily)."""
MAX_GOLDEN_CHARS = 200_000
"""Longest golden RTL accepted."""

DEFAULT_TIMEOUT_S = 10.0
"""Default wall-clock limit of one item's simulations or kernel runs."""

RewardKind = Literal["verilog", "kernel"]
RewardVerdict = Literal["pass", "fail", "inconclusive", "invalid", "error"]
"""``pass``: correct (reward 1); ``fail``: the completion is wrong or broken (reward 0);
``inconclusive``: no mismatch, but too little was compared to call it correct (reward 0);
``invalid``: the item itself is bad (malformed, oversized, a golden that does not compile: HTTP 400);
``error``: the service could not judge it (a worker died on every retry; not cached)."""
Reason = Literal[
    "",
    "no_code_block",
    "wrong_name",
    "compile",
    "ports",
    "mismatch",
    "timeout",
    "crash",
    "x",
    "unsupported",
    "forbidden",
    "checker",
    "wrong",
    "nan",
    "unwritten",
    "out_of_bounds",
    "input_modified",
    "unavailable",
    "golden",
    "bad_item",
    "oversized",
    "unknown_problem",
    "worker",
]
"""Why, in one word: the first failure the checker found (or what is wrong with the item)."""


class RewardItem(BaseModel):
    """One completion to score."""

    model_config = ConfigDict(extra="forbid")

    kind: RewardKind = Field(
        description="'verilog' (a module checked against a golden design) or 'kernel' (C)."
    )
    completion: str = Field(description="The model's whole completion (the code is extracted from it).")
    problem: str | None = Field(
        None,
        description="Verilog: a VerilogEval problem id the service has data for; kernel: a kernel name "
        "of the template library (gemm, saxpy-like reduce_sum, ...).",
    )
    golden: str | None = Field(None, description="Verilog only: the golden RTL, instead of a problem id.")
    top: str | None = Field(
        None,
        description="Module the completion must define; default: TopModule for VerilogEval goldens "
        "(module RefModule), else the golden's top module.",
    )
    dims: dict[str, int] | None = Field(None, description="Kernel only: problem size (e.g. {'M': 64}).")
    target: str = Field("x86_64", description="Kernel only: the target it is checked on.")
    speed: bool = Field(
        False, description="Kernel only: add a speed bonus on native targets (measured, so not cached)."
    )
    step: int | None = Field(None, ge=0, description="Training step that sampled it (rounds for CDAS).")
    id: str | None = Field(None, max_length=200, description="The caller's id, echoed in the result.")

    @model_validator(mode="after")
    def _golden_named_once(self) -> RewardItem:
        if self.kind == "verilog" and (self.problem is None) == (self.golden is None):
            raise ValueError("a verilog item needs exactly one of 'problem' (an id) or 'golden' (RTL)")
        if self.kind == "kernel" and (self.problem is None or self.golden is not None):
            raise ValueError("a kernel item needs 'problem' (a kernel name) and no 'golden'")
        return self


class ResolvedItem(BaseModel):
    """An item with its golden looked up: everything a worker needs, as JSON."""

    kind: RewardKind = Field(description="verilog or kernel.")
    problem: str = Field(description="Problem key: the id, or 'golden:<sha12>' for inline golden RTL.")
    completion: str = Field(description="The completion as sent.")
    golden: str = Field("", description="Verilog: the golden RTL text.")
    golden_top: str | None = Field(None, description="Verilog: the golden's top module (None: auto).")
    top: str = Field("", description="Module (or C function) the completion must define.")
    dims: dict[str, int] = Field(default_factory=dict, description="Kernel: problem size.")
    target: str = Field("x86_64", description="Kernel: target.")
    speed: bool = Field(False, description="Kernel: measure the speed bonus.")
    seeds: list[int] = Field(description="Seeds of the check, fixed per problem.")
    timeout_s: float = Field(
        DEFAULT_TIMEOUT_S, gt=0, description="Wall-clock limit of its simulations or runs."
    )
    cache_key: str = Field(description="SHA-256 of (golden, completion, options, checker version).")


class RewardResult(BaseModel):
    """The answer for one item."""

    index: int = Field(description="Position of the item in its batch.")
    id: str | None = Field(None, description="The caller's id of the item.")
    kind: RewardKind | None = Field(
        None, description="verilog or kernel (None when the item was unreadable)."
    )
    problem: str = Field("", description="Problem key (id or 'golden:<sha12>').")
    reward: float = Field(description="Correctness reward plus any speed bonus; 0 unless verdict is pass.")
    correct: float = Field(description="1.0 when the checker passed the code, else 0.0.")
    format_reward: float = Field(0.0, description="1.0 for <think>..</think><answer>code</answer>, else 0.0.")
    speed_bonus: float | None = Field(None, description="Kernel speed bonus; None when not measured.")
    verdict: RewardVerdict = Field(description="pass, fail, inconclusive, invalid or error.")
    reason: Reason = Field("", description="Why, in one word; empty on pass.")
    detail: str = Field("", description="Why, for a human (compiler lines, the first mismatch, ...).")
    first_mismatch: dict[str, Any] | None = Field(None, description="The first mismatching sample, if any.")
    seeds: list[int] = Field(default_factory=list, description="Seeds the check used (fixed per problem).")
    checker_version: str = Field("", description="Version of the checkers that judged it.")
    cache_key: str = Field("", description="Key of the result in the service's cache.")
    cached: bool = Field(False, description="Served from the cache without running the checker.")
    evidence: Check | None = Field(None, description="The checker's evidence record.")
    wall_s: float = Field(0.0, description="Seconds the checker ran for it (0 when cached).")
    node: str = Field("", description="Where it was checked: a Ray node id or 'local'.")

    def cacheable(self) -> bool:
        """True for results that are a property of (golden, completion, checker): not errors, not speed."""
        return self.verdict != "error" and self.speed_bonus is None


def invalid(index: int, reason: Reason, detail: str, item_id: str | None = None) -> RewardResult:
    """The result of an item that cannot be scored because the item itself is bad."""
    return RewardResult(
        index=index, id=item_id, reward=0.0, correct=0.0, verdict="invalid", reason=reason, detail=detail
    )
