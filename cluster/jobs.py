"""Submitting a campaign to a Ray cluster as a Ray job, and following it to the end.

What travels with the job (its runtime environment):

- the project's Python packages (``agents``, ``cluster``, ``evals``, ``graphs``, ``knowledge``,
  ``ops``, ``tools``) as ``py_modules``, taken from where this process imports them, so the job and
  every task it starts run the submitter's code; the nodes need only qimeng's dependencies and
  tools (the images and setup commands of ``ops/cluster/`` install them);
- the campaign file, as the job's working directory (``campaign.yaml``);
- ``QIMENG_RUN_DIR``: where the job writes its run (``--run-dir``; for a head on this machine the
  submitter's own run directory, so the results land where the submitter reads them; otherwise
  the head's own ``QIMENG_RUN_DIR``).

The entrypoint is ``<python> -m ops.cmd_campaign run campaign.yaml --run-id <campaign id>
--ray-address auto``. The run id is the campaign id (name plus a hash of the file), so
resubmitting a campaign whose job failed or was stopped resumes the same run: finished samples are
not run again. The submission id is the campaign id, then ``<campaign id>-r2``, ``-r3``... for
resubmissions; a campaign whose job is still running is not submitted twice.

Token authentication: the token is found as Ray's own CLI finds it (``ray get-auth-token``):
``RAY_AUTH_TOKEN``, else the file named by ``RAY_AUTH_TOKEN_PATH``, else ``~/.ray/auth_token``;
it is sent whenever one is found, whether or not ``RAY_AUTH_MODE`` is set here.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ipaddress
import logging
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import urlparse

import ray.exceptions
import yaml
from pydantic import BaseModel, Field

from cluster.campaign import VerilogEvalBench, campaign_id, load_campaign
from cluster.ray_auth import auth_token
from cluster.ray_executor import ClusterUnreachable, check_reachable
from tools.errors import QimengError, UsageError

if TYPE_CHECKING:
    from ray.job_submission import JobSubmissionClient

PROJECT_PACKAGES = ("agents", "cluster", "evals", "graphs", "knowledge", "ops", "tools")
SHIP_EXCLUDES = ["__pycache__", "*.pyc", ".mypy_cache", ".ruff_cache", ".pytest_cache"]
_TERMINAL = ("SUCCEEDED", "FAILED", "STOPPED")


class SubmittedJob(BaseModel):
    """A campaign submitted as a Ray job (what ``qimeng campaign submit --json`` prints)."""

    job_id: str = Field(
        description="Ray submission id (the campaign id, or <campaign id>-rN on resubmission)."
    )
    campaign: str = Field(description="The campaign's name.")
    run_id: str = Field(description="Run id the job writes (the campaign id; resubmissions resume it).")
    run_dir: str | None = Field(
        description="QIMENG_RUN_DIR given to the job (a path on the head); None: the head's own."
    )
    address: str = Field(description="Ray Jobs server the job was submitted to.")
    status: str = Field(description="Job status: PENDING, RUNNING, SUCCEEDED, FAILED or STOPPED.")
    message: str = Field("", description="Ray's message for a finished job (the failure's last logs).")


def jobs_client(address: str) -> JobSubmissionClient:
    """A Jobs client for ``address`` (``http://HEAD:8265``) that sends the Ray token when one is found.

    Raises:
        UsageError: an address that is not http(s)://HOST[:PORT].
        ClusterUnreachable: nothing answers there.
        QimengError: the server refuses the token (or asks for one and none was found).
    """
    parsed = urlparse(address)
    if parsed.scheme not in ("http", "https") or parsed.hostname is None:
        raise UsageError(f"Ray Jobs address '{address}' must look like http://HEAD:8265")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        check_reachable(f"{parsed.hostname}:{port}")
    except ClusterUnreachable as exc:
        reason = str(exc).split("(", 1)[-1].split(")", 1)[0]
        raise ClusterUnreachable(
            f"cannot reach the Ray Jobs server at {address} ({reason}); is the head running with its "
            f"dashboard ('ray start --head --dashboard-host 0.0.0.0') and is port {port} open from here?"
        ) from None
    from ray.job_submission import JobSubmissionClient

    for noisy in (
        "dashboard.modules.dashboard_sdk",
        "dashboard.modules.job.sdk",
        "_private.runtime_env.packaging",
    ):
        logging.getLogger(f"ray.{noisy}").setLevel(logging.WARNING)  # INFO lines on uploads and websockets
    token, source = auth_token()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with _errors(address, token, source):
        return JobSubmissionClient(address, headers=headers)


@contextmanager
def _errors(address: str, token: str | None, source: str) -> Iterator[None]:
    """Turns the Jobs client's exceptions into one-line qimeng errors."""
    try:
        yield
    except ray.exceptions.AuthenticationError:
        if token is None:
            raise QimengError(
                f"the Ray Jobs server at {address} needs a token and none was found: set "
                "RAY_AUTH_TOKEN, point RAY_AUTH_TOKEN_PATH at a file holding it, or write it to "
                "~/.ray/auth_token ('ray get-auth-token' on the head prints it)"
            ) from None
        raise QimengError(
            f"the Ray Jobs server at {address} refused the token from {source}; use the "
            "cluster's token ('ray get-auth-token' on the head prints it)"
        ) from None
    except ConnectionError as exc:
        raise ClusterUnreachable(
            f"{address} answers but is not a Ray Jobs server ({exc}); give the dashboard's "
            "address, http://HEAD:8265 by default"
        ) from None
    except RuntimeError as exc:
        raise QimengError(f"the Ray Jobs server at {address}: {exc}") from None


def is_local(address: str) -> bool:
    """True when ``address`` names this machine (a loopback host)."""
    host = urlparse(address).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def project_modules() -> list[str]:
    """Directories of the project's packages as this process imports them (what a job ships)."""
    dirs = []
    for name in PROJECT_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise QimengError(f"cannot ship package '{name}' to the cluster: it is not importable here")
        dirs.append(str(next(iter(spec.submodule_search_locations))))
    return dirs


def submit_campaign(
    path: Path,
    address: str,
    *,
    run_dir: Path | None = None,
    python: str | None = None,
) -> SubmittedJob:
    """Submit the campaign in ``path`` to the Ray Jobs server at ``address`` (``http://HEAD:8265``).

    ``run_dir`` is where the job writes its run, a path on the head (default: for a head on this
    machine, this process's run directory; otherwise the head's ``QIMENG_RUN_DIR``). ``python`` runs
    the entrypoint on the head (default: for a head on this machine, this interpreter; otherwise
    ``python`` on the head's PATH).

    Raises:
        CampaignError: a malformed campaign file.
        UsageError: a bad address, a relative ``run_dir``, or a campaign with a relative data path.
        ClusterUnreachable: when the Jobs server cannot be reached.
        QimengError: a refused token, a campaign still running as a job, or a refused submission.
    """
    campaign, text = load_campaign(path)
    if isinstance(campaign.benchmark, VerilogEvalBench):
        data = str(yaml.safe_load(text)["benchmark"].get("data") or "/")  # none: the head's setting
        if not Path(data).is_absolute():
            raise UsageError(
                f"{path}: benchmark.data '{data}' is relative; a job reads it on the cluster, so give an "
                "absolute path that exists on its nodes"
            )
    if run_dir is not None and not run_dir.is_absolute():
        raise UsageError(f"--run-dir '{run_dir}' is relative; give an absolute path on the head")
    cid = campaign_id(campaign, text)
    client = jobs_client(address)
    token, source = auth_token()
    local = is_local(address)
    if run_dir is None and local:
        from tools.settings import get_settings

        run_dir = get_settings().run_dir.resolve()
    env = {"QIMENG_RUN_DIR": str(run_dir)} if run_dir is not None else {}
    interpreter = python or (sys.executable if local else "python")
    entrypoint = (
        f"{shlex.quote(interpreter)} -m ops.cmd_campaign run campaign.yaml --run-id {shlex.quote(cid)} "
        "--ray-address auto"
    )
    with _errors(address, token, source), tempfile.TemporaryDirectory(prefix="qimeng-job-") as tmp:
        sid = _submission_id(client, cid, address)
        shutil.copyfile(path, Path(tmp) / "campaign.yaml")
        client.submit_job(
            entrypoint=entrypoint,
            submission_id=sid,
            runtime_env={
                "working_dir": tmp,
                "py_modules": project_modules(),
                "excludes": SHIP_EXCLUDES,
                "env_vars": env,
            },
            metadata={"qimeng_campaign": campaign.name, "qimeng_run": cid},
        )
        status = str(client.get_job_status(sid).value)
    return SubmittedJob(
        job_id=sid,
        campaign=campaign.name,
        run_id=cid,
        run_dir=env.get("QIMENG_RUN_DIR"),
        address=address,
        status=status,
    )


def _submission_id(client: JobSubmissionClient, cid: str, address: str) -> str:
    """The campaign id for its first job, ``<cid>-rN`` after; refuses while one is still running."""
    ours = [
        j
        for j in client.list_jobs()
        if j.submission_id == cid or (j.submission_id or "").startswith(f"{cid}-r")
    ]
    for job in ours:
        if str(job.status.value) not in _TERMINAL:
            raise QimengError(
                f"campaign {cid} is already {str(job.status.value).lower()} as job {job.submission_id} "
                f"on {address}; stop it first (ray job stop {job.submission_id}) or wait for it"
            )
    return cid if not ours else f"{cid}-r{len(ours) + 1}"


def follow_job(job: SubmittedJob, out: TextIO) -> SubmittedJob:
    """Copy the job's logs to ``out`` until it finishes; returns ``job`` with its final status.

    Raises:
        ClusterUnreachable, QimengError: as :func:`jobs_client`, or when the log stream breaks.
    """
    client = jobs_client(job.address)
    token, source = auth_token()

    async def tail() -> None:
        async for chunk in client.tail_job_logs(job.job_id):
            out.write(chunk)
            out.flush()

    with _errors(job.address, token, source):
        asyncio.run(tail())
        info = client.get_job_info(job.job_id)
    return job.model_copy(update={"status": str(info.status.value), "message": info.message or ""})
