"""Time the kernel suite's library baselines in this process; run as a subprocess by evals.kernels.

Reads JSON from stdin: ``{"seed": int, "threads": int, "libs": ["numpy", "torch"], "problems":
[{"id", "kernel", "dims", "sets"}]}``; writes JSON to stdout: the OpenBLAS build threadpoolctl sees
(kernel architecture, threads), PyTorch's version and threads, and per problem and library the
median seconds per call over samples cycling through ``sets`` input copies (the same rotation the C
kernel was timed with), each sample lasting at least 1 ms like the C harness's (on a loaded
machine longer samples would each include other processes' time slices, shorter ones can fall
between them: the same length keeps the comparison fair). The libraries are timed one after the other on each problem. The parent
chooses the environment (OPENBLAS_* and OMP_* variables, set before NumPy loads), which is why this
runs in its own process; PyTorch's intra-op threads are set here to ``threads``.
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


def _time(calls: list[Any], samples: int = 15, min_sample_s: float = 0.001) -> float:
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
    libs = request.get("libs", ["numpy"])
    samples = int(request.get("samples", 15))
    makers: dict[str, Any] = {"numpy": numpy_baseline}
    info: dict[str, Any] = {}
    if "torch" in libs:
        import torch

        from evals._torch_baselines import torch_baseline

        torch.set_num_threads(int(request.get("threads", 1)))
        makers["torch"] = torch_baseline
        info["torch"] = {"version": torch.__version__, "num_threads": torch.get_num_threads()}
    results: dict[str, Any] = {}
    for item in request["problems"]:
        spec = kernel_spec(item["kernel"], item["dims"])
        shape = spec.bench_shapes[0]
        trials = [
            make_trial(spec, shape, np.random.default_rng(request["seed"] + copy))
            for copy in range(max(1, int(item.get("sets", 1))))
        ]
        results[item["id"]] = {
            lib: _time([makers[lib](item["kernel"], tr.arrays, tr.scalars) for tr in trials], samples)
            for lib in libs
        }
    info["blas"] = [
        {k: b.get(k) for k in ("internal_api", "architecture", "num_threads", "version")}
        for b in threadpool_info()
        if b.get("user_api") == "blas"
    ]
    json.dump({**info, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
