"""The Ray executor: each call becomes a Ray task placed on a node that serves what it needs.

A node declares the targets it serves when it starts, as custom resources ``target_<name>``
(``ray start --resources '{"target_riscv64": 10000}'``) and, on Ray versions with node labels, as
labels ``qimeng.dev/target-<name>=true``; a node with the HDL tools declares ``tools_hdl`` (and
``qimeng.dev/tools-hdl=true``). A call for target *t* asks for one unit of ``target_<t>``, a call
for tool set *s* one unit of ``tools_<s>`` (plus a label selector where every serving node carries
the label), so Ray never places it elsewhere. Before submitting, the executor checks the cluster's
resources and fails fast with :class:`NoNodeForTarget` rather than leaving work queued forever.
Calls marked ``local_only`` run in the driver. Each result names the node and its labels.

Worker crashes are retried by Ray (``max_retries``), and so are task exceptions when
``retry_exceptions`` (campaign samples; a tool's own error is final); a call that still fails comes
back as a :class:`CallResult` with ``ok=False``, the reason and, when Ray kept it, the exception.
"""

from __future__ import annotations

import inspect
import socket
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlparse

import ray
import ray.exceptions

from cluster.calls import Call, CallResult, describe_exception, execute
from cluster.ray_auth import prepare_driver
from tools.calls import host_labels
from tools.errors import QimengError
from tools.executor import InProcessExecutor, NoNodeForTarget, check_served, local_targets, local_toolsets
from tools.metrics import replay

RESOURCE_PREFIX = "target_"
LABEL_PREFIX = "qimeng.dev/target-"
TOOLS_RESOURCE_PREFIX = "tools_"
TOOLS_LABEL_PREFIX = "qimeng.dev/tools-"
VIEW_TTL_S = 5.0
"""Seconds the executor trusts its view of which nodes serve what."""
TARGET_UNITS = 10_000  # a node's supply of target_<t>: large, so CPUs alone bound concurrency


class ClusterUnreachable(QimengError):
    """The Ray address given cannot be reached."""


def labels_supported() -> bool:
    """True when this Ray has node labels (``ray.init(labels=...)`` and task ``label_selector``)."""
    return "labels" in inspect.signature(ray.init).parameters


def node_spec(
    targets: Iterable[str], toolsets: Iterable[str] = ()
) -> tuple[dict[str, float], dict[str, str]]:
    """Custom resources and labels a node declares for ``targets`` and ``toolsets``."""
    names, sets = sorted(set(targets)), sorted(set(toolsets))
    resources = {RESOURCE_PREFIX + t: float(TARGET_UNITS) for t in names}
    resources |= {TOOLS_RESOURCE_PREFIX + t: float(TARGET_UNITS) for t in sets}
    labels: dict[str, str] = {}
    if labels_supported():
        labels = {LABEL_PREFIX + t: "true" for t in names} | {TOOLS_LABEL_PREFIX + t: "true" for t in sets}
    return resources, labels


def _run_on_node(call_data: dict[str, Any]) -> dict[str, Any]:
    from cluster.metrics import task_ran

    context = ray.get_runtime_context()
    labels = {**context.get_node_labels(), **host_labels()}
    call = Call.model_validate(call_data)
    result = execute(call, context.get_node_id(), labels)
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
            local Ray that declares ``targets`` (default: what this machine can compile and run)
            and the tool sets installed here.
        num_cpus: CPUs of a local Ray (default: all).
        retries: retries per call after a worker crash (and after an exception, see below).
        max_in_flight: calls submitted at once (default: four per cluster CPU).
        retry_exceptions: retry a call whose task raised (campaign samples); False for tool calls,
            whose errors are deterministic.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        targets: set[str] | None = None,
        retries: int = 2,
        max_in_flight: int | None = None,
        retry_exceptions: bool = True,
    ) -> None:
        self._retries = retries
        self._retry_exceptions = retry_exceptions
        self._owns = not ray.is_initialized()
        if self._owns:
            _init(address, num_cpus, targets)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self._max_in_flight = max_in_flight or max(4 * cpus, 1)
        self._local = InProcessExecutor()
        self._view: tuple[float, set[str], set[str]] | None = None

    def _served(self, prefix: str) -> set[str]:
        res = ray.cluster_resources()
        return {k.removeprefix(prefix) for k, v in res.items() if k.startswith(prefix) and v > 0}

    def targets(self) -> set[str]:
        return self._served(RESOURCE_PREFIX)

    def alive_nodes(self) -> int:
        """How many nodes of the cluster are alive."""
        return sum(1 for node in ray.nodes() if node.get("Alive"))

    def toolsets(self) -> set[str]:
        return self._served(TOOLS_RESOURCE_PREFIX)

    def _cluster_view(self, fresh: bool) -> tuple[set[str], set[str]]:
        """Resources safe to select by label, and the resources served (cached for a few seconds:
        a session makes many small calls, and asking the GCS for each would double their cost)."""
        now = time.monotonic()
        if fresh or self._view is None or now - self._view[0] > VIEW_TTL_S:
            served = {k for k, v in ray.cluster_resources().items() if v > 0}
            self._view = (now, self._labelled(), served)
        return self._view[1], self._view[2]

    def _check(self, calls: list[Call]) -> set[str]:
        """Raise NoNodeForTarget for a call nobody serves (after a fresh look); the labelled set."""
        for fresh in (False, True):
            labelled, served = self._cluster_view(fresh)
            targets = {r.removeprefix(RESOURCE_PREFIX) for r in served if r.startswith(RESOURCE_PREFIX)}
            toolsets = {
                r.removeprefix(TOOLS_RESOURCE_PREFIX) for r in served if r.startswith(TOOLS_RESOURCE_PREFIX)
            }
            try:
                check_served(calls, targets, toolsets, "in the Ray cluster")
            except NoNodeForTarget:
                if fresh:
                    raise
                continue
            return labelled
        return set()

    def _labelled(self) -> set[str]:
        """Resources (``target_*``, ``tools_*``) whose every serving node also carries the label."""
        if not labels_supported():
            return set()
        ok: set[str] | None = None
        for node in ray.nodes():
            if not node.get("Alive"):
                continue
            labels = node.get("Labels") or {}
            served = {k for k in node.get("Resources", {}) if _label_of(k) is not None}
            good = {r for r in served if labels.get(_label_of(r) or "") == "true"}
            ok = (good if ok is None else ok | good) - (served - good)
        return ok or set()

    def _submit(self, call: Call, labelled: set[str]) -> Any:
        opts: dict[str, Any] = {
            "num_cpus": call.num_cpus,
            "max_retries": self._retries,
            "retry_exceptions": self._retry_exceptions,
        }
        needs = [RESOURCE_PREFIX + call.target] if call.target is not None else []
        needs += [TOOLS_RESOURCE_PREFIX + call.toolset] if call.toolset is not None else []
        if needs:
            opts["resources"] = {r: 1 for r in needs}
            selector = {_label_of(r) or "": "true" for r in needs if r in labelled}
            if selector:
                opts["label_selector"] = selector
        return _remote().options(**opts).remote(call.model_dump(mode="json"))

    def run(self, call: Call) -> CallResult:
        return next(iter(self.map([call])))

    def map(self, calls: Iterable[Call]) -> Iterator[CallResult]:
        todo = list(calls)
        remote = [c for c in todo if not c.local_only]
        labelled = self._check(remote) if remote else set()
        queue = iter(remote)
        in_flight: dict[Any, Call] = {}
        try:
            for call in todo:
                if call.local_only:  # e.g. a search of an embedded store only this process may open
                    yield self._local.attempt(call)
            while True:
                while len(in_flight) < self._max_in_flight:
                    nxt = next(queue, None)
                    if nxt is None:
                        break
                    in_flight[self._submit(nxt, labelled)] = nxt
                if not in_flight:
                    return
                done, _ = ray.wait(list(in_flight), num_returns=1, timeout=VIEW_TTL_S)
                for ref in done:
                    yield self._collect(ref, in_flight.pop(ref))
                if not done:  # nothing finished for a while: did the nodes some calls need go away?
                    for ref, failed in self._stranded(in_flight):
                        del in_flight[ref]
                        ray.cancel(ref, force=True)
                        yield failed
        finally:
            for ref in in_flight:
                ray.cancel(ref, force=True)

    def _stranded(self, in_flight: dict[Any, Call]) -> list[tuple[Any, CallResult]]:
        """Calls in flight that no live node can run any more (its last node died): Ray would keep
        their retries pending forever, so they fail here, naming what the cluster still serves."""
        out = []
        self._cluster_view(fresh=True)
        for ref, call in in_flight.items():
            try:
                self._check([call])
            except NoNodeForTarget as exc:
                result = CallResult(key=call.key, ok=False, error=str(exc), target=call.target)
                out.append((ref, result.with_exception(exc)))
        return out

    def _collect(self, ref: Any, call: Call) -> CallResult:
        attempts = self._retries + 1 if self._retry_exceptions else 1
        cause: BaseException | None = None
        try:
            result = CallResult.model_validate(ray.get(ref))
            replay(result.metrics)  # what the task recorded in the catalog of its worker process
            return result
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if exc.cause is not None else exc
            reason = f"failed after {attempts} attempt(s): {describe_exception(cause)}"
        except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError) as exc:
            reason = f"worker died {self._retries + 1} time(s): {type(exc).__name__}"
        except ray.exceptions.TaskCancelledError:
            reason = "cancelled"
        except ray.exceptions.RayError as exc:
            reason = describe_exception(exc)
        return CallResult(key=call.key, ok=False, error=reason, target=call.target).with_exception(cause)

    def close(self) -> None:
        if self._owns and ray.is_initialized():
            ray.shutdown()


def _label_of(resource: str) -> str | None:
    """The node label that goes with a placement resource (``target_x`` -> ``qimeng.dev/target-x``)."""
    if resource.startswith(RESOURCE_PREFIX):
        return LABEL_PREFIX + resource.removeprefix(RESOURCE_PREFIX)
    if resource.startswith(TOOLS_RESOURCE_PREFIX):
        return TOOLS_LABEL_PREFIX + resource.removeprefix(TOOLS_RESOURCE_PREFIX)
    return None


def _init(address: str | None, num_cpus: int | None, targets: set[str] | None) -> None:
    common: dict[str, Any] = {"log_to_driver": False, "configure_logging": True, "logging_level": "warning"}
    if address is not None:
        check_reachable(address)
        prepare_driver(address)  # a token cluster: send the token found, or say what to set
        try:
            ray.init(address=address, **common)
        except (ConnectionError, RuntimeError) as exc:
            raise ClusterUnreachable(f"cannot connect to the Ray cluster at {address}: {exc}") from None
        return
    # Ray >= 2.5x turns token auth on for a new local cluster unless RAY_AUTH_MODE says otherwise; it
    # writes ~/.ray/auth_token without prompting, and drivers on this host pick the token up from there.
    resources, labels = node_spec(local_targets() if targets is None else targets, local_toolsets())
    extra: dict[str, Any] = {"labels": labels} if labels else {}
    ray.init(num_cpus=num_cpus, resources=resources, include_dashboard=False, **common, **extra)
