"""Where work runs: the Ray executor, campaigns, the durable result store, CDAS sampling.

The executor seam itself (:class:`Call`, :class:`Executor`, the in-process default) lives below the
agents in :mod:`tools.calls` and :mod:`tools.executor`: agents hand tool calls to whichever executor
their session installed and never import this room. Here: the Ray executor
(:mod:`cluster.ray_executor`, placing each call on a node serving its target or tool set), the
executor a design session gets (:func:`tool_executor`: Ray with an address, else in-process), and
campaigns, which expand a campaign file into calls, run them on an executor and record each sample
in a :class:`ResultStore`.
"""

from cluster.calls import Call, CallResult, execute, resolve_task
from cluster.campaign import Campaign, CampaignError, TaskSpec, campaign_id, load_campaign, plan
from cluster.cdas import CdasState
from cluster.executor import Executor, LocalExecutor, NoNodeForTarget, local_targets
from cluster.launch import CampaignRun, make_executor, open_campaign
from cluster.report import CampaignReport, CampaignStatus, build_report, campaign_status
from cluster.runner import RunOutcome, run_campaign
from cluster.session_executor import tool_executor
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
    "tool_executor",
]
