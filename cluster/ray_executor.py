"""The Ray executor: each call becomes a Ray task placed on a node that serves its target.

A node declares the targets it serves when it starts, as custom resources ``target_<name>``
(``ray start --resources '{"target_riscv64": 10000}'``) and, on Ray versions with node labels, as
labels ``qimeng.dev/target-<name>=true``. A call for target *t* asks for one unit of
``target_<t>`` (and a label selector where every serving node carries the label), so Ray never
places it elsewhere. Before submitting, the executor checks the cluster's resources and fails fast
with :class:`NoNodeForTarget` rather than leaving work queued forever.

Worker crashes and task exceptions are retried by Ray (``max_retries`` / ``retry_exceptions``); a call
that still fails comes back as a :class:`CallResult` with ``ok=False`` and the reason.
"""

from __future__ import annotations

import inspect
import socket
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlparse

import ray
import ray.exceptions

from cluster.calls import Call, CallResult, describe_exception, execute
from cluster.executor import check_targets, local_targets
from tools.errors import QimengError

RESOURCE_PREFIX = "target_"
LABEL_PREFIX = "qimeng.dev/target-"
TARGET_UNITS = 10_000  # a node's supply of target_<t>: large, so CPUs alone bound concurrency


class ClusterUnreachable(QimengError):
    """The Ray address given cannot be reached."""


def labels_supported() -> bool:
    """True when this Ray has node labels (``ray.init(labels=...)`` and task ``label_selector``)."""
    return "labels" in inspect.signature(ray.init).parameters


def node_spec(targets: Iterable[str]) -> tuple[dict[str, float], dict[str, str]]:
    """Custom resources and labels a node declares for ``targets``."""
    names = sorted(set(targets))
    resources = {RESOURCE_PREFIX + t: float(TARGET_UNITS) for t in names}
    labels = {LABEL_PREFIX + t: "true" for t in names} if labels_supported() else {}
    return resources, labels


def _run_on_node(call_data: dict[str, Any]) -> dict[str, Any]:
    from cluster.metrics import task_ran

    node = ray.get_runtime_context().get_node_id()
    call = Call.model_validate(call_data)
    result = execute(call, node)
    task_ran(call.task, result.wall_s, result.ok)
    return result.model_dump(mode="json")


_remote_fn: Any = None


def _remote() -> Any:
    global _remote_fn
    if _remote_fn is None:
        _remote_fn = ray.remote(_run_on_node)
    return _remote_fn


def check_reachable(address: str, timeout_s: float = 5.0) -> None:
    if address in ("auto", "local"):
        return
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    host, port = parsed.hostname, parsed.port
    if host is None or port is None:
        raise ClusterUnreachable(
            f"Ray address '{address}' is not HOST:PORT, ray://HOST:PORT or 'auto' (e.g. 10.0.0.5:6379)"
        )
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ClusterUnreachable(
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); is the head running "
            f"('ray start --head') and is port {port} open from here?"
        ) from None


class RayExecutor:
    """Runs calls as Ray tasks; see the module docstring for placement and retries.

    Args:
        address: a running cluster (``HOST:6379``, ``ray://HOST:10001`` or ``auto``); None starts a
            local Ray that declares ``targets`` (default: what this machine can compile and run).
        num_cpus: CPUs of a local Ray (default: all).
        retries: retries per call after a worker crash or an exception.
        max_in_flight: calls submitted at once (default: four per cluster CPU).
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        targets: set[str] | None = None,
        retries: int = 2,
        max_in_flight: int | None = None,
    ) -> None:
        self._retries = retries
        self._owns = not ray.is_initialized()
        if self._owns:
            _init(address, num_cpus, targets)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self._max_in_flight = max_in_flight or max(4 * cpus, 1)

    def targets(self) -> set[str]:
        res = ray.cluster_resources()
        return {
            k.removeprefix(RESOURCE_PREFIX) for k, v in res.items() if k.startswith(RESOURCE_PREFIX) and v > 0
        }

    def _labelled(self) -> set[str]:
        """Targets whose every serving node also carries the label (safe to select on)."""
        if not labels_supported():
            return set()
        ok: set[str] | None = None
        for node in ray.nodes():
            if not node.get("Alive"):
                continue
            labels = node.get("Labels") or {}
            served = {
                k.removeprefix(RESOURCE_PREFIX)
                for k in node.get("Resources", {})
                if k.startswith(RESOURCE_PREFIX)
            }
            good = {t for t in served if labels.get(LABEL_PREFIX + t) == "true"}
            bad = served - good
            ok = (good if ok is None else ok | good) - bad
        return ok or set()

    def _submit(self, call: Call, labelled: set[str]) -> Any:
        opts: dict[str, Any] = {
            "num_cpus": call.num_cpus,
            "max_retries": self._retries,
            "retry_exceptions": True,
        }
        if call.target is not None:
            opts["resources"] = {RESOURCE_PREFIX + call.target: 1}
            if call.target in labelled:
                opts["label_selector"] = {LABEL_PREFIX + call.target: "true"}
        return _remote().options(**opts).remote(call.model_dump(mode="json"))

    def run(self, call: Call) -> CallResult:
        return next(iter(self.map([call])))

    def map(self, calls: Iterable[Call]) -> Iterator[CallResult]:
        todo = list(calls)
        check_targets(todo, self.targets(), "in the Ray cluster")
        labelled = self._labelled()
        queue = iter(todo)
        in_flight: dict[Any, Call] = {}
        try:
            while True:
                while len(in_flight) < self._max_in_flight:
                    nxt = next(queue, None)
                    if nxt is None:
                        break
                    in_flight[self._submit(nxt, labelled)] = nxt
                if not in_flight:
                    return
                done, _ = ray.wait(list(in_flight), num_returns=1)
                for ref in done:
                    yield self._collect(ref, in_flight.pop(ref))
        finally:
            for ref in in_flight:
                ray.cancel(ref, force=True)

    def _collect(self, ref: Any, call: Call) -> CallResult:
        attempts = self._retries + 1
        try:
            return CallResult.model_validate(ray.get(ref))
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if exc.cause is not None else exc
            reason = f"failed after {attempts} attempt(s): {describe_exception(cause)}"
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError) as exc:
            reason = f"worker died {attempts} time(s): {type(exc).__name__}"
        except ray.exceptions.TaskCancelledError:
            reason = "cancelled"
        except ray.exceptions.RayError as exc:
            reason = describe_exception(exc)
        return CallResult(key=call.key, ok=False, error=reason)

    def close(self) -> None:
        if self._owns and ray.is_initialized():
            ray.shutdown()


def _init(address: str | None, num_cpus: int | None, targets: set[str] | None) -> None:
    common: dict[str, Any] = {"log_to_driver": False, "configure_logging": True, "logging_level": "warning"}
    if address is not None:
        check_reachable(address)
        try:
            ray.init(address=address, **common)
        except (ConnectionError, RuntimeError) as exc:
            raise ClusterUnreachable(f"cannot connect to the Ray cluster at {address}: {exc}") from None
        return
    # Ray >= 2.5x turns token auth on for a new local cluster unless RAY_AUTH_MODE says otherwise; it
    # writes ~/.ray/auth_token without prompting, and drivers on this host pick the token up from there.
    resources, labels = node_spec(local_targets() if targets is None else targets)
    extra: dict[str, Any] = {"labels": labels} if labels else {}
    ray.init(num_cpus=num_cpus, resources=resources, include_dashboard=False, **common, **extra)
