"""Where work runs: local and Ray executors, campaigns, the durable result store, CDAS sampling.

Agents hand :class:`Call` objects to an :class:`Executor` and never import Ray; campaigns expand a
campaign file into calls, run them on an executor and record each sample in a :class:`ResultStore`.
The Ray executor lives in :mod:`cluster.ray_executor` (imported on demand: importing this package
does not import Ray).
"""

from cluster.calls import Call, CallResult, execute, resolve_task
from cluster.campaign import Campaign, CampaignError, TaskSpec, campaign_id, load_campaign, plan
from cluster.cdas import CdasState
from cluster.executor import Executor, LocalExecutor, NoNodeForTarget, local_targets
from cluster.launch import CampaignRun, make_executor, open_campaign
from cluster.report import CampaignReport, CampaignStatus, build_report, campaign_status
from cluster.runner import RunOutcome, run_campaign
from cluster.store import ResultStore, SampleRow
from cluster.tasks import TASKS

__all__ = [
    "TASKS",
    "Call",
    "CallResult",
    "Campaign",
    "CampaignError",
    "CampaignReport",
    "CampaignRun",
    "CampaignStatus",
    "CdasState",
    "Executor",
    "LocalExecutor",
    "NoNodeForTarget",
    "ResultStore",
    "RunOutcome",
    "SampleRow",
    "TaskSpec",
    "build_report",
    "campaign_id",
    "campaign_status",
    "execute",
    "load_campaign",
    "local_targets",
    "make_executor",
    "open_campaign",
    "plan",
    "resolve_task",
    "run_campaign",
]
