"""Measurements of building blocks on the device, outside the suite: the fused pad copy against
torch's strided copies, and what the L2 flush before each timed rep costs the next kernel.

``python -m kit.probe OUTDIR`` (``tools/gpu`` on ``sys.path``) writes ``OUTDIR/probe.json`` and
prints a table. Nothing here is a verdict: the suite's :mod:`.verdict` judges kernels; this
module only explains where time goes (METHOD: time variants that leave one stage out).
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path
from typing import Any

from .padcopy import lower_pad_copy, lower_unpad_copy
from .runtime import _pad_copy_launcher
from .timing import time_call


def pad_copies(reps: int) -> list[dict[str, Any]]:
    """The odd shape's two operand copies (4097x4099 -> pitch 4104, 4099x4095 -> pitch 4096):
    torch ``copy_`` twice, and the fused kernel at several block sizes. Every variant is checked
    against torch's result before it is timed."""
    import torch

    m, n, k = 4097, 4095, 4099
    kp, np_ = 4104, 4096
    a = torch.randn((m, k), device="cuda").to(torch.bfloat16)
    b = torch.randn((k, n), device="cuda").to(torch.bfloat16)
    pa = torch.zeros((m, kp), dtype=a.dtype, device="cuda")
    pb = torch.zeros((k, np_), dtype=b.dtype, device="cuda")
    moved = 2 * (m * k + m * kp + k * n + k * np_)  # bytes read + written

    def torch_copies() -> None:
        pa[:, :k].copy_(a)
        pb[:, :n].copy_(b)

    torch_copies()
    want_a, want_b = pa.clone(), pb.clone()
    rows: list[dict[str, Any]] = []
    variants: list[tuple[str, Any]] = [("torch copy_ x2", torch_copies)]
    for block, warps, lanes in ((4096, 4, False), (2048, 4, True), (4096, 4, True), (4096, 8, True)):
        launch = _pad_copy_launcher(lower_pad_copy((m, k), kp, (k, n), np_, block, warps, lanes))
        name = f"fused b{block} w{warps}" + (" lanes" if lanes else "")
        variants.append((name, lambda fn=launch: fn(a, pa, b, pb)))
    out = torch.empty((m, n), dtype=a.dtype, device="cuda")
    wide = torch.randn((m, np_), device="cuda").to(torch.bfloat16)
    for block, warps, lanes in ((4096, 4, False), (2048, 4, True), (4096, 4, True), (4096, 8, True)):
        unpad = _pad_copy_launcher(lower_unpad_copy(m, n, np_, block, warps, lanes))
        name = f"unpad C b{block} w{warps}" + (" lanes" if lanes else "")
        variants.append((name, lambda fn=unpad: fn(wide, out)))
    variants.append(("unpad C (torch)", lambda: out.copy_(wide[:, :n])))
    for name, fn in variants:
        if name.startswith("unpad"):
            out.fill_(float("nan"))
            fn()
            right = bool(torch.equal(out, wide[:, :n]))
            timing = time_call(fn, "cuda", reps=reps, warmup=3)
            us = timing.median_ms * 1e3
            rows.append(
                {"variant": name, "correct": right, "median_us": us, "gbs": 4 * m * n / (us * 1e-6) / 1e9}
            )
            continue
        pa.fill_(float("nan"))
        pb.fill_(float("nan"))
        fn()
        torch.cuda.synchronize()
        right = bool(torch.equal(pa[:, :k], want_a[:, :k]) and torch.equal(pb[:, :n], want_b[:, :n]))
        if name.startswith("fused"):  # the fused kernel also writes the pad columns (zeros)
            right = right and not bool(pa[:, k:].any()) and not bool(pb[:, n:].any())
        timing = time_call(fn, "cuda", reps=reps, warmup=3)
        us = timing.median_ms * 1e3
        rows.append({"variant": name, "correct": right, "median_us": us, "gbs": moved / (us * 1e-6) / 1e9})
    return rows


def flush_cost(reps: int) -> list[dict[str, Any]]:
    """cuBLAS skinny GEMMs timed after a write flush (256 MB of zeros, which leaves the L2 full
    of dirty lines that the next kernel pays to write back), after the suite's read flush (a sum
    over a 256 MB buffer: the L2 ends full of clean lines) and with no flush."""
    import torch

    from . import timing as tm

    rows: list[dict[str, Any]] = []
    flush = torch.zeros(tm.FLUSH_BYTES // 4, dtype=torch.int32, device="cuda")
    for m, n, kk in ((1, 4096, 4096), (64, 4096, 4096), (1, 14336, 4096)):
        a = torch.randn((m, kk), device="cuda").to(torch.bfloat16)
        b = torch.randn((kk, n), device="cuda").to(torch.bfloat16)
        out = torch.empty((m, n), dtype=torch.bfloat16, device="cuda")
        moved = 2 * (m * kk + kk * n + m * n)
        for mode in ("write", "read", "none"):
            # the suite's own flush (time_call's default) is the read; a write is queued by hand
            before: Any = flush.zero_ if mode == "write" else None
            t = time_call(
                partial(torch.matmul, a, b, out=out), "cuda", reps=reps, warmup=3,
                flush_bytes=tm.FLUSH_BYTES if mode == "read" else 0, before_rep=before,
            )  # fmt: skip
            us = t.median_ms * 1e3
            rows.append(
                {"shape": [m, n, kk], "flush": mode, "median_us": us, "gbs": moved / (us * 1e-6) / 1e9}
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Entry point (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args(argv)
    report = {"pad_copies": pad_copies(args.reps), "flush_cost": flush_cost(args.reps)}
    args.outdir.mkdir(parents=True, exist_ok=True)
    (args.outdir / "probe.json").write_text(json.dumps(report, indent=1))
    for row in report["pad_copies"]:
        print(
            f"pad copy {row['variant']:18s} ok={row['correct']} {row['median_us']:8.1f} us {row['gbs']:7.0f} GB/s"
        )
    for row in report["flush_cost"]:
        print(
            f"cublas {row['shape']} flush={row['flush']:5s} {row['median_us']:8.1f} us {row['gbs']:7.0f} GB/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
