"""Differential checking in the style of CodeV-R1: drive candidate and reference with the same
random vectors from one generated testbench and compare every output every cycle, four-state.

Flow: read both interfaces with Yosys -> compare ports -> find the clock and reset -> generate
seeded stimulus (:mod:`tools.hdl.stimulus`) -> one iverilog compile of testbench + candidate +
(renamed) reference -> one ``vvp`` per seed, all in one sandboxed call -> for a Python reference,
the model runs in the sandbox on the same vectors -> :func:`tools.hdl.compare.compare` -> while
an output has compared on too few samples (its reference is x elsewhere), further rounds of runs
steered toward where it is defined (:mod:`tools.hdl.steering`), on the same compiled testbench.
The sampling convention is in :mod:`tools.hdl.testbench`.
"""

from __future__ import annotations

import json
import shlex
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

from tools.errors import UsageError
from tools.hdl import _toolchain as tc
from tools.hdl import testbench
from tools.hdl.compare import compare, enough_compared, short_of
from tools.hdl.lint import DESIGN_FILE, name_sources, parse_iverilog
from tools.hdl.ports import DesignInfo, DesignReadError, Port, Reset, module_names, read_design
from tools.hdl.report import DiffReport, ReasonKind
from tools.hdl.steering import Steering
from tools.hdl.stimulus import Stimulus, generate, mine_constants
from tools.hdl.waves import capture
from tools.settings import get_settings
from tools.tracing import tool_span

_RUNNER = Path(__file__).with_name("_model_runner.py")


SOAK_CYCLES = 4096
"""Length of the extra long run given to clocked designs with state."""
SOAK_SEED = 7919
"""Offset of the long run's seed from the first seed."""


class VerilogRef(BaseModel):
    """A reference design in Verilog/SystemVerilog."""

    source: str = Field(description="Reference source text.")
    top: str | None = Field(
        None, description="Its top module; None: the candidate's top name if declared, else auto."
    )


class PythonRef(BaseModel):
    """A Python reference model: a file defining ``class Model`` with ``reset()``, ``outputs(inputs)``
    and ``clock(inputs)`` (see :mod:`tools.hdl._model_runner` for how it is driven)."""

    source: str = Field(description="Python source text defining class Model.")
    ports: list[Port] | None = Field(
        None, description="Expected interface; when given the candidate must match it."
    )
    clock: str | None = Field(None, description="Clock input; None: detected from the candidate.")
    reset: str | None = Field(None, description="Reset input; None: detected from the candidate.")
    reset_active_low: bool | None = Field(None, description="Override of the detected polarity.")
    reset_async: bool | None = Field(None, description="Override of the detected kind.")


class _Stop(Exception):
    def __init__(
        self, verdict: str, kind: ReasonKind, reason: str, diagnostics: list[str] | None = None
    ) -> None:
        super().__init__(reason)
        self.verdict, self.kind, self.reason, self.diagnostics = verdict, kind, reason, diagnostics or []


@tool_span("diff_check", lambda report: report.verdict)
def diff_check(
    candidate: str,
    reference: VerilogRef | PythonRef,
    top: str | None = None,
    seeds: Sequence[int] = (1, 2, 3),
    cycles: int = 64,
    sequences: int = 6,
    timeout_s: float = 20.0,
    soak_cycles: int = SOAK_CYCLES,
    progress: Callable[[str], None] | None = None,
    candidate_name: str | None = None,
    reference_name: str | None = None,
) -> DiffReport:
    """Check ``candidate`` against ``reference`` by simulation; never raises for bad designs.

    Args:
        candidate: candidate Verilog source (untrusted).
        reference: a :class:`VerilogRef` or :class:`PythonRef` (untrusted too).
        top: the candidate's top module; None: the reference's top name if the candidate declares
            it, else the module nothing instantiates.
        seeds: one simulation run from power-on per seed.
        cycles, sequences: each run has ``sequences`` sequences of ``cycles`` samples.
        timeout_s: wall-clock limit for the simulation (and the model) of all seeds.
        soak_cycles: length of one extra long run (reset once, inputs held for stretches) for
            clocked designs with state; 0 leaves it out.
        progress: told each stage as it starts (one line, e.g. 'simulating 4 runs'), for long checks.
        candidate_name, reference_name: what the user calls them (e.g. their file paths), used in
            messages and diagnostics instead of the internal copies' names.

    Returns:
        a :class:`DiffReport`: ``pass`` only when every defined reference bit matched on every
        sample; ``fail`` (candidate wrong or broken), ``error`` (reference or tool broken),
        ``unsupported`` (e.g. several clocks, inout ports) or ``inconclusive`` (some output
        compared on fewer than :func:`tools.hdl.compare.enough_compared` samples even after the
        steered rounds, so matching proves little). Per output, ``OutputStats.compared`` says on
        how many samples it was compared.

    Raises:
        UsageError: for bad arguments (no seeds, cycles or sequences below 1, more seeds or
            cycles per seed than the settings ``check_max_seeds`` and ``check_max_cycles`` allow).
    """
    if not seeds or cycles < 1 or sequences < 1 or soak_cycles < 0:
        raise UsageError(
            "diff_check needs at least one seed, cycles >= 1, sequences >= 1 and soak_cycles >= 0"
        )
    _within_bounds(len(seeds), cycles, sequences)
    start = time.monotonic()
    report = DiffReport(verdict="error", seeds=list(seeds), cycles=cycles, sequences=sequences)
    report.reference_kind = "python" if isinstance(reference, PythonRef) else "verilog"
    try:
        _run(candidate, reference, top, report, timeout_s, soak_cycles, progress or (lambda _: None))
    except _Stop as stop:
        report.verdict, report.reason_kind, report.reason = stop.verdict, stop.kind, stop.reason  # type: ignore[assignment]
        report.diagnostics = stop.diagnostics
    names = {"candidate.sv": candidate_name, "reference.sv": reference_name}
    shown = {internal: name for internal, name in names.items() if name}
    report.reason = name_sources(report.reason, shown)
    report.diagnostics = [name_sources(d, shown) for d in report.diagnostics]
    report.duration_s = time.monotonic() - start
    return report


def _within_bounds(seeds: int, cycles: int, sequences: int) -> None:
    """Refuse work the settings do not allow before any stimulus is generated (it lives in memory)."""
    settings = get_settings()
    if seeds > settings.check_max_seeds:
        raise UsageError(
            f"{seeds} seeds is over the limit of {settings.check_max_seeds} "
            "(setting check_max_seeds, QIMENG_CHECK_MAX_SEEDS)"
        )
    if cycles * sequences > settings.check_max_cycles:
        raise UsageError(
            f"{cycles} cycles x {sequences} sequences = {cycles * sequences} cycles per seed is over the "
            f"limit of {settings.check_max_cycles} (setting check_max_cycles, QIMENG_CHECK_MAX_CYCLES)"
        )


def _source(text: str, what: str, verdict: str) -> str:
    try:
        return tc.check_source(text, what)
    except UsageError as exc:
        raise _Stop(verdict, "input", str(exc)) from None


def _read(source: str, top: str | None, who: str, verdict: str) -> DesignInfo:
    try:
        return read_design(source, top)
    except DesignReadError as exc:
        kind: ReasonKind = "top" if exc.reason == "top" else "syntax"
        message = name_sources(exc.message, {DESIGN_FILE: f"{who}.sv"})  # as _compile names it
        raise _Stop(verdict, kind, f"{who}: {message}") from None


def _run(
    candidate: str,
    reference: VerilogRef | PythonRef,
    top: str | None,
    report: DiffReport,
    timeout_s: float,
    soak_cycles: int,
    progress: Callable[[str], None],
) -> None:
    cand_src = _source(candidate, "the candidate", "fail")
    ref_info: DesignInfo | None = None
    if isinstance(reference, VerilogRef):
        ref_src = _source(reference.source, "the reference", "error")
        ref_top = reference.top
        ref_info = _read(ref_src, ref_top, "reference", "error")
        top = top or (ref_info.top if ref_info.top in module_names(cand_src) else None)
    else:
        ref_src = _source(reference.source, "the reference model", "error")
    cand = _read(cand_src, top, "candidate", "fail")
    report.top = cand.top
    report.tools = [tc.yosys().label, tc.iverilog().label]
    expected_ports = (
        ref_info.ports if ref_info else (reference.ports if isinstance(reference, PythonRef) else None)
    )
    if expected_ports is not None:
        _match_ports(cand.ports, expected_ports, report)
    if any(p.direction == "inout" for p in cand.ports):
        raise _Stop("unsupported", "ports", "inout ports are not supported by the differential checker")
    clock, negedge = _clock(cand, ref_info, reference)
    dual_edge = clock is not None and (
        clock in cand.dual_edge_clocks or (ref_info is not None and clock in ref_info.dual_edge_clocks)
    )
    if dual_edge and isinstance(reference, PythonRef):
        report.notes.append(
            "flip-flops on both clock edges: a Python model is compared at one clock level only"
        )
    reset = _reset(cand, ref_info, reference, clock)
    report.clock, report.reset = clock, reset.name if reset else None
    driven = [p for p in cand.inputs if p.name != clock]
    outputs = cand.outputs
    if not outputs:
        raise _Stop("fail", "ports", "the candidate has no outputs, so nothing can be compared")
    constants = mine_constants(cand_src, ref_src)
    progress(f"generating stimulus: {len(report.seeds)} seeds x {report.sequences} x {report.cycles} cycles")
    stims = [
        generate(
            driven,
            reset,
            seed=s,
            sequences=report.sequences,
            cycles=report.cycles,
            power_on_run=i == 1,
            constants=constants,
        )
        for i, s in enumerate(report.seeds)
    ]
    stateful = cand.has_state or (ref_info is not None and ref_info.has_state)
    if soak_cycles and clock is not None and stateful:
        # One long run, reset once, inputs held for stretches: counters that roll over after
        # hundreds of cycles and "input low for N cycles" conditions get their chance.
        stims.append(
            generate(
                driven,
                reset,
                seed=report.seeds[0] + SOAK_SEED,
                sequences=1,
                cycles=soak_cycles,
                constants=constants,
                modes=("hold",),
                patterns=("start",),
            )
        )
    with tempfile.TemporaryDirectory(prefix="qimeng-diff-") as tmp:
        work = Path(tmp)
        instances = [(ref_info.top + testbench.REF_SUFFIX, "qref")] if ref_info else []
        instances.append((cand.top, "qdut"))
        run_length = max(len(stim.samples) for stim in stims)
        both = dual_edge and isinstance(reference, VerilogRef)
        tb = testbench.build(
            driven, outputs, instances, clock=clock, negedge=negedge, samples=run_length, both_levels=both
        )
        (work / "tb.v").write_text(tb, encoding="utf-8")
        (work / "candidate.sv").write_text(cand_src, encoding="utf-8")
        files = ["tb.v"]
        if ref_info:
            (work / "reference.sv").write_text(testbench.rename_modules(ref_src), encoding="utf-8")
            files.append("reference.sv")
        files.append("candidate.sv")
        progress("compiling with iverilog")
        _compile(work, files)
        if isinstance(reference, PythonRef):
            report.tools.append(tc.python_tool().label)
        elif both:  # each output also compared after the active edge, under its own name
            outputs = outputs + [
                p.model_copy(
                    update={"name": f"{p.name} (after the {'falling' if negedge else 'rising'} edge)"}
                )
                for p in outputs
            ]
        bench = _Bench(work, ref_src, reference, outputs, clock, reset, timeout_s)
        progress(f"simulating {len(stims)} runs ({sum(len(s.samples) for s in stims)} samples)")
        runs = bench.run(stims)
        result = compare(outputs, runs, unreset_x_ok=isinstance(reference, PythonRef))
        target = enough_compared(result.samples)
        steering = Steering(
            driven,
            reset,
            clocked=clock is not None,
            run_length=run_length,
            base_samples=result.samples,
            seed=report.seeds[0],
            constants=constants,
            cycles=report.cycles,
        )
        while not result.mismatches:
            more = steering.next_round(result, short_of(result.stats, target), target)
            if not more:
                break
            progress(f"steering round {steering.rounds}: {len(more)} more runs")
            runs = bench.run(more)
            result.merge(compare(outputs, runs, unreset_x_ok=isinstance(reference, PythonRef)))
    if result.mismatches:  # the runs holding the first mismatches are the last ones compared
        unreset_x_ok = isinstance(reference, PythonRef)
        report.window = capture(driven, outputs, runs, result.mismatches, clock, unreset_x_ok)
    report.outputs, report.mismatches, report.samples = result.stats, result.mismatches, result.samples
    report.enough = target
    report.steered_samples, report.steering_rounds = steering.steered, steering.rounds
    if steering.rounds:
        report.notes.append(steering.summary())
    _verdict(report)


@dataclass
class _Bench:
    """The compiled testbench in ``work``: simulates runs and pairs them with the expected rows."""

    work: Path
    ref_src: str
    reference: VerilogRef | PythonRef
    outputs: list[Port]
    """Outputs as compared (twice over, early and late, for dual-edge Verilog references)."""
    clock: str | None
    reset: Reset | None
    timeout_s: float

    def run(self, stims: list[Stimulus]) -> list[tuple[Stimulus, list[list[str]], list[list[str]]]]:
        """``(stimulus, expected rows, candidate rows)`` per run."""
        for k, stim in enumerate(stims):
            (self.work / f"vec{k}.hex").write_text(stim.to_hex(), encoding="utf-8")
        rows = _simulate(self.work, [len(s.samples) for s in stims], self.timeout_s)
        if isinstance(self.reference, PythonRef):
            expected = _model(
                self.work,
                self.ref_src,
                self.reference,
                self.outputs,
                self.clock,
                self.reset,
                stims,
                self.timeout_s,
            )
            return [(s, expected[k], rows[k]) for k, s in enumerate(stims)]
        half = len(self.outputs)
        return [(s, [r[:half] for r in rows[k]], [r[half:] for r in rows[k]]) for k, s in enumerate(stims)]


def _match_ports(cand: list[Port], ref: list[Port], report: DiffReport) -> None:
    have = {p.name: p for p in cand}
    want = {p.name: p for p in ref}
    problems = [
        f"missing port '{n}' ({p.direction}, {p.width} bits)" for n, p in want.items() if n not in have
    ]
    problems += [f"unexpected port '{n}'" for n in have if n not in want]
    for name, p in want.items():
        q = have.get(name)
        if q and (q.direction, q.width) != (p.direction, p.width):
            problems.append(
                f"port '{name}' is {q.direction} [{q.width} bits], reference has {p.direction} [{p.width} bits]"
            )
        elif q and q.signed != p.signed:
            report.notes.append(f"port '{name}' signedness differs (candidate signed={q.signed})")
    if problems:
        raise _Stop(
            "fail", "ports", "the candidate's ports do not match the reference: " + "; ".join(problems)
        )


def _clock(
    cand: DesignInfo, ref: DesignInfo | None, reference: VerilogRef | PythonRef
) -> tuple[str | None, bool]:
    if isinstance(reference, PythonRef) and reference.clock:
        if cand.port(reference.clock) is None:
            raise _Stop("fail", "ports", f"the candidate has no clock input '{reference.clock}'")
        return reference.clock, reference.clock in cand.negedge_clocks
    clocks = sorted(set(cand.clocks) | set(ref.clocks if ref else []))
    if len(clocks) > 1:
        raise _Stop(
            "unsupported",
            "clocks",
            f"several clocks ({', '.join(clocks)}); only single-clock designs are checked",
        )
    if not clocks:
        return None, False
    neg = ref.negedge_clocks if ref and clocks[0] in ref.clocks else cand.negedge_clocks
    return clocks[0], clocks[0] in neg


def _reset(
    cand: DesignInfo, ref: DesignInfo | None, reference: VerilogRef | PythonRef, clock: str | None
) -> Reset | None:
    found = [r for r in (ref.resets if ref else []) + cand.resets if r.name != clock]
    found.sort(key=lambda r: r.source != "logic")
    chosen = found[0] if found else None
    if isinstance(reference, PythonRef):
        if reference.reset:
            chosen = next((r for r in found if r.name == reference.reset), None) or Reset(
                name=reference.reset, active_low=False, asynchronous=False, source="name"
            )
            if cand.port(reference.reset) is None:
                raise _Stop("fail", "ports", f"the candidate has no reset input '{reference.reset}'")
        if chosen is not None:
            updates: dict[str, bool] = {}
            if reference.reset_active_low is not None:
                updates["active_low"] = reference.reset_active_low
            if reference.reset_async is not None:
                updates["asynchronous"] = reference.reset_async
            elif chosen.name.lower().removeprefix("i_").startswith("a"):
                updates["asynchronous"] = True
            chosen = chosen.model_copy(update=updates)
    return chosen


def _compile(work: Path, files: list[str]) -> None:
    res = tc.run_tool(
        tc.iverilog(), ["-g2012", "-o", "sim.vvp", "-s", testbench.TB_TOP, *files], work, wall_s=30
    )
    if res.ok:
        return
    diags = parse_iverilog(res.stderr + res.stdout)
    rendered = [d.render() for d in diags if d.severity == "error"] or [res.describe()]
    if any(d.file == "candidate.sv" for d in diags):
        raise _Stop("fail", "compile", "the candidate does not compile with iverilog -g2012", rendered)
    if any(d.file == "reference.sv" for d in diags):
        raise _Stop("error", "reference", "the reference does not compile with iverilog -g2012", rendered)
    raise _Stop("fail", "compile", "candidate and reference do not compile together", rendered)


def _simulate(work: Path, counts: list[int], timeout_s: float) -> list[list[list[str]]]:
    vvp = shlex.quote(tc.vvp().argv[0])
    runs = len(counts)
    script = "; ".join(
        f"{vvp} -n sim.vvp +vec=vec{k}.hex +n={n} +out=out{k}.txt >/dev/null || exit 1"
        for k, n in enumerate(counts)
    )
    res = tc.run_sandboxed_shell(script, work, timeout_s)
    if "wall" in res.limits_hit or "cpu" in res.limits_hit:
        raise _Stop(
            "fail",
            "timeout",
            f"the simulation did not finish within {timeout_s:g}s: {res.describe()}; "
            "a combinational loop, a zero-delay always block, or a design that never settles?",
        )
    if "fsize" in res.limits_hit:
        limit = get_settings().sandbox.fsize_mb
        raise _Stop(
            "fail",
            "crash",
            f"the simulation wrote more than the file-size limit of {limit} MiB (setting sandbox.fsize_mb, "
            "QIMENG_SANDBOX__FSIZE_MB): does the candidate write a file without end?",
        )
    rows: list[list[list[str]]] = []
    for k in range(runs):
        path = work / f"out{k}.txt"
        lines = path.read_text(errors="replace").splitlines() if path.is_file() else []
        if not lines or lines[-1] != "qimeng-done":
            said = next((ln.strip() for ln in res.stderr.splitlines() if "error" in ln.lower()), "")
            raise _Stop(
                "fail",
                "crash",
                f"the simulation stopped early ({res.describe()}, {len(lines)} of {counts[k]} samples): "
                + (said or "does the candidate call $finish/$stop or crash the simulator?"),
            )
        rows.append([ln.split() for ln in lines[:-1]])
    return rows


def _model(
    work: Path,
    source: str,
    ref: PythonRef,
    outputs: list[Port],
    clock: str | None,
    reset: Reset | None,
    stims: list[Stimulus],
    timeout_s: float,
) -> list[list[list[str]]]:
    (work / "model.py").write_text(source, encoding="utf-8")
    (work / "runner.py").write_text(_RUNNER.read_text(encoding="utf-8"), encoding="utf-8")
    async_reset = [reset.name, int(not reset.active_low)] if reset and reset.asynchronous else None
    job = {
        "outputs": [[p.name, p.width] for p in outputs],
        "clocked": clock is not None,
        "async_reset": async_reset,
        "runs": [s.samples for s in stims],
    }
    (work / "job.json").write_text(json.dumps(job), encoding="utf-8")
    res = tc.run_tool(
        tc.python_tool(), ["-I", "runner.py", "model.py", "job.json", "expected.txt"], work, wall_s=timeout_s
    )
    if res.limits_hit:
        raise _Stop("error", "reference", f"the Python reference model was {res.describe()}")
    if not res.ok:
        tail = res.stderr.strip().splitlines() or [res.describe()]
        message = next((ln for ln in tail if ln.startswith("error:")), tail[-1])
        raise _Stop(
            "error",
            "reference",
            f"the Python reference model failed: {message.removeprefix('error: ')}",
            tail[-6:],
        )
    runs: list[list[list[str]]] = []
    for line in (work / "expected.txt").read_text().splitlines():
        if line == "run":
            runs.append([])
        elif line != "qimeng-done":
            runs[-1].append(line.split())
    return runs


def _verdict(report: DiffReport) -> None:
    if report.mismatches:
        names = ", ".join(f"'{m.output}'" for m in report.mismatches)
        report.verdict, report.reason_kind = "fail", "mismatch"
        report.reason = f"{report.mismatch_count} mismatching output samples on {names}"
    else:
        report.verdict, report.reason_kind, report.reason = "pass", "", ""
    for st in report.outputs:
        if st.reference_x:
            report.notes.append(
                f"reference output '{st.name}' was x on {st.reference_x} of {st.samples} samples (ignored there)"
            )
        if st.candidate_x_unchecked:
            report.notes.append(
                f"candidate output '{st.name}' was x before reset on {st.candidate_x_unchecked} samples (not compared)"
            )
    short = short_of(report.outputs, report.enough)
    if short and report.verdict == "pass":
        counts = " and ".join(f"'{s.name}' on {s.compared}" for s in short).replace(
            " on ", " compared on ", 1
        )
        steered = f" ({report.steered_samples} of them in extra runs)" if report.steering_rounds else ""
        report.verdict, report.reason_kind = "inconclusive", "x"
        report.reason = (
            f"no mismatch, but {counts} of {report.samples} samples{steered} where each output needs "
            f"{report.enough}: the reference was x (or the candidate not yet reset) on the rest, "
            "so the check proves little"
        )
