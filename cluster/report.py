"""Campaign status and reports: counts, pass@k tables, timings and PNG plots from the result store.

pass@k uses the unbiased estimator of :mod:`evals.passk`; a sample that ended in an error counts as
a failed sample. Under CDAS sampling the numbers describe the explored problems only, and the report
says so: published pass@k always comes from fixed sampling.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from pathlib import Path

from pydantic import BaseModel, Field

from cluster.store import ResultStore, SampleRow
from evals.passk import ks_for, pass_at_k
from tools.runstore import Run


class CampaignStatus(BaseModel):
    """Where a campaign stands."""

    run: str = Field(description="Run id.")
    name: str = Field(description="Campaign name.")
    state: str = Field(description="Run state from the manifest: running, done, failed, interrupted.")
    sampling: str = Field(description="fixed or cdas.")
    planned: int = Field(description="Samples the campaign will run in all.")
    done: int = Field(description="Samples recorded.")
    ok: int = Field(description="Samples whose task returned a result.")
    errors: int = Field(description="Samples recorded as errors after their retries.")
    passed: int = Field(description="Samples whose result says passed.")
    nodes: dict[str, int] = Field(default_factory=dict, description="Samples per node id.")


class TaskScore(BaseModel):
    """Samples of one task."""

    task: str
    n: int
    c: int
    errors: int


class CampaignReport(BaseModel):
    """Scores and timings of a campaign."""

    status: CampaignStatus
    sampling_note: str = Field(description="How the samples were drawn and what the scores mean.")
    pass_at: dict[str, float] = Field(description="Mean pass@k by k over tasks with at least k samples.")
    tasks: list[TaskScore]
    error_reasons: dict[str, int] = Field(description="Error samples by reason.")
    median_sample_s: float
    p95_sample_s: float
    samples_per_s: float = Field(description="Recorded samples over the span from first to last finish.")
    plots: list[str] = Field(default_factory=list, description="PNG files in the run directory.")


def campaign_status(run: Run, store: ResultStore) -> CampaignStatus:
    """Counts from the store and the manifest."""
    rows = store.rows()
    return CampaignStatus(
        run=run.id,
        name=str(store.get_meta("name", "?")),
        state=run.manifest.status,
        sampling=str(store.get_meta("sampling", "fixed")),
        planned=int(store.get_meta("planned", len(rows))),
        done=len(rows),
        ok=sum(r.status == "ok" for r in rows),
        errors=sum(r.status == "error" for r in rows),
        passed=sum(bool(r.passed) for r in rows),
        nodes=dict(Counter(r.node_id or "?" for r in rows)),
    )


def _scores(rows: list[SampleRow]) -> list[TaskScore]:
    by_task: dict[str, list[SampleRow]] = defaultdict(list)
    for row in rows:
        by_task[row.task].append(row)
    return [
        TaskScore(
            task=t,
            n=len(rs),
            c=sum(bool(r.passed) for r in rs),
            errors=sum(r.status == "error" for r in rs),
        )
        for t, rs in sorted(by_task.items())
    ]


def build_report(run: Run, store: ResultStore, plots: bool = True) -> CampaignReport:
    """The report of ``run``; with ``plots`` also writes ``report.json``, ``pass_at_k.png`` and
    ``sample_times.png`` into the run directory."""
    status = campaign_status(run, store)
    rows = store.rows()
    tasks = _scores(rows)
    samples = int(store.get_meta("samples", 1))
    pass_at: dict[str, float] = {}
    for k in ks_for(max((t.n for t in tasks), default=samples)):
        eligible = [t for t in tasks if t.n >= k]
        if eligible:
            pass_at[str(k)] = sum(pass_at_k(t.n, t.c, k) for t in eligible) / len(eligible)
    times = sorted(r.wall_s for r in rows if r.status == "ok")
    finishes = sorted(r.finished for r in rows)
    span = finishes[-1] - finishes[0] if len(finishes) > 1 else 0.0
    note = (
        "fixed sampling: every task got the same samples; pass@k is the unbiased estimator"
        if status.sampling == "fixed"
        else "CDAS sampling (exploration / data generation): tasks got unequal samples chosen by "
        "difficulty; these pass@k values are NOT benchmark scores"
    )
    report = CampaignReport(
        status=status,
        sampling_note=note,
        pass_at=pass_at,
        tasks=tasks,
        error_reasons=dict(Counter(r.error or "?" for r in rows if r.status == "error")),
        median_sample_s=statistics.median(times) if times else 0.0,
        p95_sample_s=times[min(len(times) - 1, int(0.95 * len(times)))] if times else 0.0,
        samples_per_s=(len(rows) - 1) / span if span > 0 else 0.0,
    )
    if plots and rows:
        report.plots = _plots(run.path, report, times)
        for name in report.plots:
            run.write(name, (run.path / name).read_bytes(), kind="plot")
    run.write_json("report.json", report, kind="report")
    return report


def _plots(where: Path, report: CampaignReport, times: list[float]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    if report.pass_at:
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ks = list(report.pass_at)
        ax.bar([f"pass@{k}" for k in ks], [report.pass_at[k] for k in ks], color="#4477aa")
        ax.set_ylim(0, 1)
        ax.set_title(f"{report.status.name} ({report.status.sampling} sampling)")
        fig.tight_layout()
        fig.savefig(where / "pass_at_k.png", dpi=100)
        plt.close(fig)
        written.append("pass_at_k.png")
    if times:
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.hist(times, bins=min(30, max(5, len(times) // 3)), color="#228833")
        ax.set_xlabel("seconds per sample")
        ax.set_ylabel("samples")
        ax.set_title(f"sample times (median {report.median_sample_s:.2f}s)")
        fig.tight_layout()
        fig.savefig(where / "sample_times.png", dpi=100)
        plt.close(fig)
        written.append("sample_times.png")
    return written
