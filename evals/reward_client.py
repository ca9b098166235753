"""The reward as RL frameworks call it: ``compute_score(data_source, solution_str, ground_truth,
extra_info=None)`` (verl's custom-reward signature), in-process or as a thin client of the service.

``ground_truth`` is the golden RTL (a string), or an object with the item's fields (``problem``,
``golden``, ``top``, ``kind``, ``dims``, ``target``). The kind is ``ground_truth['kind']`` when
given, else ``kernel`` when ``data_source`` names kernels, else ``verilog``. With a service URL
(``extra_info['reward_url']`` or ``$QIMENG_REWARD_URL``) the item is posted to it; otherwise it is
scored here, in the sandbox (``extra_info['data']`` names a VerilogEval folder for problem ids).

It returns verl's dict form: ``score`` (the correctness reward, plus any speed bonus) and, kept
apart, ``format_score``, with the verdict and reason for the trainer's logs.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.reward_models import RewardResult
from tools.errors import QimengError

REWARD_URL_ENV = "QIMENG_REWARD_URL"


class RewardServiceError(QimengError):
    """The reward service could not be reached or answered something that is not a batch."""


def compute_score(
    data_source: str, solution_str: str, ground_truth: Any, extra_info: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Score one completion (see the module docstring); never raises for a bad completion.

    Raises:
        RewardServiceError: when a service URL is set and the service cannot be reached.
    """
    extra = extra_info or {}
    item = to_item(data_source, solution_str, ground_truth, extra)
    url = extra.get("reward_url") or os.environ.get(REWARD_URL_ENV)
    if url:
        result = post_batch(str(url), [item])[0]
    else:
        result = score_here([item], [Path(p) for p in _as_list(extra.get("data"))])[0]
    return {
        "score": result.reward,
        "format_score": result.format_reward,
        "correct": result.correct,
        "verdict": result.verdict,
        "reason": result.reason,
    }


def to_item(data_source: str, solution_str: str, ground_truth: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """The service item for one ``compute_score`` call."""
    fields = dict(ground_truth) if isinstance(ground_truth, dict) else {"golden": str(ground_truth)}
    fields.setdefault("kind", "kernel" if "kernel" in data_source.lower() else "verilog")
    if isinstance(extra.get("step"), int):
        fields.setdefault("step", extra["step"])
    return fields | {"completion": solution_str}


def score_here(items: Sequence[dict[str, Any]], data_dirs: Sequence[Path] = ()) -> list[RewardResult]:
    """Score items in this process, one after another (no cache, no service)."""
    from evals.reward import score
    from evals.reward_problems import resolve

    results = []
    for index, raw in enumerate(items):
        found = resolve(index, raw, data_dirs)
        results.append(found if isinstance(found, RewardResult) else score(found, index))
    return results


def post_batch(url: str, items: Sequence[dict[str, Any]], timeout_s: float = 600.0) -> list[RewardResult]:
    """POST ``items`` to ``url``/reward and return one result per item (400s included: bad items
    come back as ``invalid`` results beside the good ones).

    Raises:
        RewardServiceError: when the service cannot be reached or rejects the whole request.
    """
    status, body = post_json(url.rstrip("/") + "/reward", {"items": list(items)}, timeout_s)
    if "results" not in body:
        raise RewardServiceError(f"the reward service answered {status}: {body.get('error', body)}")
    return [RewardResult.model_validate(r) for r in body["results"]]


def post_json(url: str, payload: Any, timeout_s: float = 600.0) -> tuple[int, dict[str, Any]]:
    """POST ``payload`` as JSON; returns (HTTP status, JSON body) for 2xx and 4xx answers alike.

    Raises:
        RewardServiceError: when the service cannot be reached or does not answer JSON.
    """
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            status, text = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise RewardServiceError(f"cannot reach the reward service at {url}: {exc}") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        raise RewardServiceError(f"the reward service at {url} answered {status} without JSON") from None
    return status, body


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
