"""Starting and resuming campaigns: the run directory, the store, the executor, one call for the CLI.

A campaign's run directory holds ``campaign.yaml`` (the file as it was started), ``results.sqlite``
(one row per finished sample) and, after ``report``, ``report.json`` and plots. Resuming checks that
the campaign file is unchanged and continues where the store left off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cluster.campaign import Campaign, TaskSpec, campaign_id, load_campaign, plan
from cluster.executor import Executor, LocalExecutor
from cluster.runner import OnResult, RunOutcome, planned_samples, run_campaign
from cluster.store import ResultStore
from tools.errors import UsageError
from tools.runstore import Run, new_run, open_run

ExecutorKind = Literal["ray", "local"]


@dataclass
class CampaignRun:
    """An opened campaign run, ready to execute."""

    campaign: Campaign
    run: Run
    store: ResultStore
    specs: list[TaskSpec]
    resumed: bool


def open_campaign(
    path: Path, *, resume: str | None = None, run_id: str | None = None, root: Path | None = None
) -> CampaignRun:
    """Load ``path`` and open its run: ``resume`` (or an existing ``run_id``) continues a run, else a new one.

    Raises:
        CampaignError: a malformed campaign file (with its line).
        UsageError: an unknown run to resume, or a campaign file that changed since the run started.
    """
    campaign, text = load_campaign(path)
    specs = plan(campaign)
    existing = resume or run_id
    run: Run | None = None
    if existing is not None:
        try:
            run = open_run(existing, root=root)
        except FileNotFoundError as exc:
            if resume is not None:
                raise UsageError(f"cannot resume: {exc}") from None
    if run is not None:
        stored = (run.path / "campaign.yaml").read_text(encoding="utf-8")
        if stored != text:
            raise UsageError(
                f"{path} differs from the campaign that run {run.id} started with "
                f"({run.path / 'campaign.yaml'}); resume with the same file or start a new run"
            )
        resumed = True
    else:
        run = new_run(f"campaign run {path}", root=root, run_id=run_id)
        run.write("campaign.yaml", text, kind="campaign")
        resumed = False
    store = ResultStore(run.path)
    store.set_meta("name", campaign.name)
    store.set_meta("campaign_id", campaign_id(campaign, text))
    store.set_meta("sampling", campaign.sampling)
    store.set_meta("samples", campaign.samples)
    store.set_meta("planned", planned_samples(campaign, specs))
    run.manifest.status = "running"
    return CampaignRun(campaign, run, store, specs, resumed)


def make_executor(
    kind: ExecutorKind,
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    retries: int = 2,
    workers: int = 1,
) -> Executor:
    """The executor a campaign runs on: Ray (local, or the cluster at ``address``) or local threads.

    Raises:
        ClusterUnreachable: when ``address`` cannot be reached.
        UsageError: for an address with the local executor.
    """
    if kind == "local":
        if address is not None:
            raise UsageError("--ray-address needs --executor ray")
        return LocalExecutor(workers=workers, retries=retries)
    from cluster.ray_executor import RayExecutor

    # With RAY_AUTH_MODE unset, Ray warns "Token authentication is enabled for this Ray cluster" on
    # every start: a notice about its default, not about this run, so it stays out of our output.
    logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)

    return RayExecutor(address, num_cpus=num_cpus, retries=retries)


def execute(opened: CampaignRun, executor: Executor, on_result: OnResult | None = None) -> RunOutcome:
    """Run what is left, marking the run done, failed or interrupted (Ctrl-C is re-raised)."""
    try:
        outcome = run_campaign(opened.campaign, opened.specs, executor, opened.store, on_result)
    except KeyboardInterrupt:
        opened.run.finish("interrupted")
        raise
    except BaseException:
        opened.run.finish("failed")
        raise
    opened.run.finish(
        "done",
        recorded=outcome.recorded,
        already_done=outcome.already_done,
        errors=outcome.errors,
        stopped_by=outcome.stopped_by,
    )
    return outcome
