"""Time the kernel suite's NumPy baselines in this process; run as a subprocess by evals.kernels.

Reads JSON from stdin: ``{"seed": int, "problems": [{"id", "kernel", "dims", "sets"}]}``; writes
JSON to stdout: the OpenBLAS build threadpoolctl sees (kernel architecture, threads) and, per
problem, the median seconds per call over samples cycling through ``sets`` input copies (the same
rotation the C kernel was timed with). The parent chooses the environment (OPENBLAS_* variables),
which is why this runs in its own process.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info

from agents.sw.specs import kernel_spec
from evals._kernel_problems import numpy_baseline
from tools.kernels.inputs import make_trial


def _time(calls: list[Any], samples: int = 15, min_sample_s: float = 0.02) -> float:
    for call in calls[:3]:
        call()
    inner, k = 1, 0
    while True:
        start = time.perf_counter()
        for _ in range(inner):
            calls[k % len(calls)]()
            k += 1
        if time.perf_counter() - start >= min_sample_s or inner >= 1 << 20:
            break
        inner *= 2
    per_call = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(inner):
            calls[k % len(calls)]()
            k += 1
        per_call.append((time.perf_counter() - start) / inner)
    return statistics.median(per_call)


def main() -> None:
    """Entry point: JSON in on stdin, JSON out on stdout."""
    request = json.load(sys.stdin)
    results: dict[str, Any] = {}
    for item in request["problems"]:
        spec = kernel_spec(item["kernel"], item["dims"])
        shape = spec.bench_shapes[0]
        calls = []
        for copy in range(max(1, int(item.get("sets", 1)))):
            trial = make_trial(spec, shape, np.random.default_rng(request["seed"] + copy))
            calls.append(numpy_baseline(item["kernel"], trial.arrays, trial.scalars))
        results[item["id"]] = {"median_s": _time(calls)}
    blas = [
        {k: info.get(k) for k in ("internal_api", "architecture", "num_threads", "version")}
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]
    json.dump({"blas": blas, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
