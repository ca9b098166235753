"""Campaign files: a YAML file naming the tasks, agent and model, samples, targets, budget and sampling.

Example::

    name: ve-smoke
    benchmark: {kind: verilog-eval, data: ../verilog-eval/dataset_spec-to-rtl, problems: "Prob00*"}
    agent: reference
    samples: 5
    targets: [x86_64]
    budget: {max_samples: 1000, max_wall_s: 3600}

:func:`load_campaign` validates it; every error names the file and the line. :func:`plan` expands it
into task specs whose keys are stable, so a resumed campaign recognizes what it already did.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tools.errors import UsageError
from tools.userfile import read_user_text

KNOWN_TARGETS = ("aarch64", "cuda", "riscv64", "x86_64")


class CampaignError(UsageError):
    """The campaign file is malformed; the message names the file and line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VerilogEvalBench(_Strict):
    """VerilogEval v2 problems from a dataset directory."""

    kind: Literal["verilog-eval"]
    data: Path | None = Field(
        None,
        description="Dataset directory (relative paths are from the campaign file); "
        "default: the verilog_eval_dir setting.",
    )
    problems: str = Field("*", description="Comma-separated globs of problem ids, e.g. 'Prob00*'.")


class HwDesignBench(_Strict):
    """A list of hardware design requests for the offline designer."""

    kind: Literal["hw-design"]
    requests: list[str] = Field(min_length=1, description="Design requests in plain words.")


class SwRequest(_Strict):
    """A kernel request designed for some of the campaign's targets only (e.g. a GPU-only kernel)."""

    request: str = Field(description="The kernel request in plain words.")
    targets: list[str] = Field(min_length=1, description="Campaign targets it is designed for.")


class SwDesignBench(_Strict):
    """Kernel requests for the software agent, each designed for every campaign target (or the
    targets it names)."""

    kind: Literal["sw-design"]
    requests: list[str | SwRequest] = Field(
        min_length=1,
        description="Kernel requests in plain words, e.g. 'gemm 1024x1024x1024 bf16', or "
        "{request: ..., targets: [cuda]} for some targets only.",
    )
    budget: int = Field(
        2,
        gt=0,
        le=20,
        description="The agent's budget per sample (tuner candidates; on cuda 10 s of search each).",
    )


class SyntheticBench(_Strict):
    """Problems of known cost and odds, for scaling runs and drills."""

    kind: Literal["synthetic"]
    problems: int = Field(gt=0, description="How many problems.")
    work: int = Field(20_000, ge=0, description="SHA-256 rounds per sample (CPU work of known size).")
    kill_once_dir: str | None = Field(None, description="Fault injection: first attempts kill their worker.")
    always_raise: bool = Field(False, description="Fault injection: every attempt raises.")


Benchmark = Annotated[
    VerilogEvalBench | HwDesignBench | SwDesignBench | SyntheticBench, Field(discriminator="kind")
]
KNOWN_KINDS = ("hw-design", "sw-design", "synthetic", "verilog-eval")
_REQUEST_FORMS = ("str", "SwRequest")  # pydantic's names for the two forms of a sw-design request


class Budget(_Strict):
    """Limits on what the campaign may spend."""

    max_samples: int | None = Field(None, gt=0, description="Most samples run in total.")
    max_wall_s: float | None = Field(None, gt=0, description="Stop submitting after this many seconds.")


class CdasOptions(_Strict):
    """Competence-Difficulty Alignment Sampling (exploration and data generation only)."""

    rounds: int = Field(4, gt=0, description="Sampling rounds.")
    per_round: int = Field(4, gt=0, description="Problems picked per round; each gets `samples` samples.")


class Campaign(_Strict):
    """A batch campaign."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="Short name (id prefix).")
    benchmark: Benchmark = Field(description="What the tasks are.")
    agent: str | None = Field(
        None,
        description="Agent: VerilogEval registry name (default reference); hw-design, sw-design: offline.",
    )
    model: str | None = Field(None, description="LLM model name for LLM agents; None offline.")
    samples: int = Field(1, gt=0, le=1000, description="Samples per task (per round under CDAS).")
    targets: list[str] = Field(default_factory=list, description="Targets each task runs on; [] = any node.")
    budget: Budget = Field(default_factory=lambda: Budget())
    sampling: Literal["fixed", "cdas"] = Field("fixed", description="fixed (publishable pass@k) or cdas.")
    cdas: CdasOptions = Field(default_factory=lambda: CdasOptions())
    retries: int = Field(2, ge=0, le=10, description="Retries of a sample after a crash or exception.")

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, value: list[str]) -> list[str]:
        for t in value:
            if t not in KNOWN_TARGETS:
                raise ValueError(f"unknown target '{t}'; known targets: {', '.join(KNOWN_TARGETS)}")
        return value


@dataclass(frozen=True)
class TaskSpec:
    """One task of a campaign: samples of it are calls with key ``<key>#<sample>``."""

    key: str
    task: str
    args: dict[str, Any]
    target: str | None


def load_campaign(path: Path) -> tuple[Campaign, str]:
    """Read and validate a campaign file; returns the campaign and the file's text.

    Relative ``data`` paths are resolved against the file's directory.

    Raises:
        CampaignError: unreadable file, bad YAML or a bad field, naming ``path:line``.
    """
    try:
        text = read_user_text(path, "campaign file")
    except UsageError as exc:
        raise CampaignError(str(exc)) from None
    return parse_campaign(text, path), text


def parse_campaign(text: str, path: Path) -> Campaign:
    """Validate campaign ``text`` (``path`` is used for messages and relative paths)."""
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise CampaignError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise CampaignError(
            f"{path}:1: a campaign file is a mapping with keys {', '.join(Campaign.model_fields)}"
        )
    try:
        campaign = Campaign.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            member = next((p for p in err["loc"] if p in _REQUEST_FORMS), None)
            if (member == "str" and isinstance(err["input"], dict)) or (
                member == "SwRequest" and err["type"] == "model_type"
            ):
                continue  # a sw-design request is text or a mapping: report the form that was given
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p in (*KNOWN_KINDS, *_REQUEST_FORMS))]
            line = _line_of(node, loc)
            field = ".".join(str(p) for p in loc) or "(top)"
            msg = err["msg"].removeprefix("Value error, ")
            if member == "str":
                msg = "a request is text or a mapping {request: TEXT, targets: [TARGET, ...]}"
            if err["type"] == "union_tag_invalid":
                msg = f"unknown benchmark kind; known kinds: {', '.join(KNOWN_KINDS)}"
            elif err["type"] == "extra_forbidden":
                msg = "unknown field"
            problems.append(f"{path}:{line}: {field}: {msg}")
        raise CampaignError("\n".join(problems)) from None
    bench = campaign.benchmark
    if isinstance(bench, SwDesignBench) and not campaign.targets:
        line = _line_of(node, ["targets"] if "targets" in data else ["benchmark", "kind"])
        raise CampaignError(
            f"{path}:{line}: targets: a sw-design campaign names the targets its kernels are designed "
            f"for; known targets: {', '.join(KNOWN_TARGETS)}"
        )
    if isinstance(bench, SwDesignBench):
        _check_kernel_requests(bench, campaign.targets, node, path)
    if isinstance(bench, VerilogEvalBench) and bench.data is not None and not bench.data.is_absolute():
        bench.data = (path.parent / bench.data).resolve()
    return campaign


def _check_kernel_requests(
    bench: SwDesignBench, targets: list[str], node: yaml.Node | None, path: Path
) -> None:
    """Read every request as the software agent will on each target, so a request it would refuse
    fails here, naming its line, rather than as an error in every sample."""
    from agents.sw.gpu_request import parse_gpu_request
    from agents.sw.request import parse_request

    for i, item in enumerate(bench.requests):
        text, only = (item, targets) if isinstance(item, str) else (item.request, item.targets)
        for target in only:
            if target not in targets:
                line = _line_of(node, ["benchmark", "requests", i, "targets"])
                raise CampaignError(
                    f"{path}:{line}: benchmark.requests.{i}.targets: '{target}' is not one of the "
                    f"campaign's targets ({', '.join(targets)})"
                )
            try:
                parse_gpu_request(text) if target == "cuda" else parse_request(text)
            except UsageError as exc:
                line = _line_of(node, ["benchmark", "requests", i])
                raise CampaignError(f"{path}:{line}: benchmark.requests.{i} on {target}: {exc}") from None


def _line_of(node: yaml.Node | None, loc: list[str | int]) -> int:
    """1-based line of the YAML node at ``loc``, or of its deepest existing parent."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
            if child is None:
                child = next((k for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def campaign_id(campaign: Campaign, text: str) -> str:
    """Stable id of a campaign file: its name and a hash of its text (the Ray job submission id)."""
    return f"{campaign.name}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def plan(campaign: Campaign) -> list[TaskSpec]:
    """The campaign's tasks in a stable order (one per problem and target).

    Raises:
        UsageError: when the benchmark's problems cannot be loaded (e.g. a missing data directory).
    """
    bench = campaign.benchmark
    base: list[tuple[str, str, dict[str, Any]]] = []
    only: dict[str, set[str]] = {}  # tasks designed for some of the campaign's targets only
    args: dict[str, Any]
    if isinstance(bench, VerilogEvalBench):
        from evals.verilog_eval import AGENTS, load_problems, verilog_eval_dir

        agent = campaign.agent or "reference"
        if agent not in AGENTS:
            raise CampaignError(f"unknown agent '{agent}'; known agents: {', '.join(sorted(AGENTS))}")
        data = bench.data or verilog_eval_dir()
        for p in load_problems(data, bench.problems):
            args = {"data": str(data), "problem": p.id, "agent": agent}
            base.append((p.id, "verilog-eval-sample", args))
    elif isinstance(bench, HwDesignBench):
        if campaign.agent not in (None, "offline"):
            raise CampaignError(
                f"hw-design campaigns use agent 'offline'; got unknown agent '{campaign.agent}'"
            )
        for i, req in enumerate(bench.requests):
            base.append((f"req{i:03d}", "hw-design-sample", {"request": req}))
    elif isinstance(bench, SwDesignBench):
        if campaign.agent not in (None, "offline"):
            raise CampaignError(
                f"sw-design campaigns use agent 'offline'; got unknown agent '{campaign.agent}'"
            )
        for i, item in enumerate(bench.requests):
            text = item if isinstance(item, str) else item.request
            base.append((f"req{i:03d}", "sw-design-sample", {"request": text, "budget": bench.budget}))
            if not isinstance(item, str):
                only[f"req{i:03d}"] = set(item.targets)
    else:
        for i in range(bench.problems):
            args = {
                "problem": f"p{i:03d}",
                "work": bench.work,
                "pass_rate": 1.0 - (i + 0.5) / bench.problems,
            }
            if bench.kill_once_dir:
                args["kill_once_dir"] = bench.kill_once_dir
            if bench.always_raise:
                args["always_raise"] = True
            base.append((f"p{i:03d}", "synthetic-sample", args))
    if campaign.model:
        for _, _, args in base:
            args["model"] = campaign.model
    targets: list[str | None] = list(campaign.targets) or [None]
    return [
        TaskSpec(key if t is None else f"{key}@{t}", task, args | ({"target": t} if t else {}), t)
        for key, task, args in base
        for t in targets
        if t is None or key not in only or t in only[key]
    ]
