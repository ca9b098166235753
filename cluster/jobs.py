"""Submitting a campaign to a Ray cluster through the Ray Jobs API.

The job's entrypoint runs ``python -m ops.cmd_campaign run campaign.yaml --run-id <campaign id>``
on the head, with the campaign file shipped as the job's working directory; the campaign id (name
plus a hash of the file) is the submission id, so submitting the same file twice is refused and a
re-run after a failure resumes the same run directory on the cluster.
"""

from __future__ import annotations

import shlex
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from cluster.campaign import campaign_id, load_campaign
from cluster.ray_executor import ClusterUnreachable, check_reachable
from tools.errors import QimengError


def submit_campaign(path: Path, address: str, extra_args: list[str] | None = None) -> str:
    """Submit the campaign in ``path`` to the Ray Jobs server at ``address`` (``http://HEAD:8265``).

    Returns the submission id (the campaign id).

    Raises:
        CampaignError: a malformed campaign file.
        ClusterUnreachable: when the Jobs server cannot be reached.
        QimengError: when the server refuses the job (e.g. the id was already submitted).
    """
    campaign, text = load_campaign(path)
    cid = campaign_id(campaign, text)
    parsed = urlparse(address)
    if parsed.scheme not in ("http", "https") or parsed.hostname is None:
        raise ClusterUnreachable(f"Ray Jobs address '{address}' must look like http://HEAD:8265")
    check_reachable(f"{parsed.hostname}:{parsed.port or 8265}")
    from ray.job_submission import JobSubmissionClient

    args = " ".join(shlex.quote(a) for a in (extra_args or []))
    entrypoint = (
        f"python -m ops.cmd_campaign run campaign.yaml --run-id {shlex.quote(cid)} --ray-address auto {args}"
    )
    with tempfile.TemporaryDirectory(prefix="qimeng-job-") as tmp:
        shutil.copyfile(path, Path(tmp) / "campaign.yaml")
        try:
            client = JobSubmissionClient(address)
            return str(
                client.submit_job(
                    entrypoint=entrypoint.strip(),
                    submission_id=cid,
                    runtime_env={"working_dir": tmp},
                    metadata={"qimeng_campaign": campaign.name},
                )
            )
        except ConnectionError as exc:
            raise ClusterUnreachable(f"cannot reach the Ray Jobs server at {address}: {exc}") from None
        except RuntimeError as exc:
            raise QimengError(f"the Ray Jobs server at {address} refused campaign {cid}: {exc}") from None
