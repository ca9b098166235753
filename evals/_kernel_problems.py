"""The kernel suite: problems, the evaluator's own reference for each (never shown to the designer),
and the NumPy baseline each is raced against on x86_64.

References here are written independently of the designer's specs (different formulations,
float64 throughout), so a shared misunderstanding of a kernel's meaning shows up as a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Problem:
    """One benchmark problem: a request for the designer and how the evaluator judges it."""

    id: str
    request: str
    kernel: str
    dims: dict[str, int]
    oracle: Callable[..., Mapping[str, Array]]
    quick: bool = True
    extra: dict[str, float] = field(default_factory=dict)


def _gemm(A: Array, B: Array, **_: int) -> dict[str, Array]:
    return {"C": np.einsum("ik,kj->ij", A.astype(np.float64), B.astype(np.float64))}


def _softmax(x: Array, **_: int) -> dict[str, Array]:
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(axis=1)[:, None])
    return {"y": e / e.sum(axis=1)[:, None]}


def _layernorm(x: Array, gamma: Array, beta: Array, **_: int) -> dict[str, Array]:
    x64 = x.astype(np.float64)
    centred = x64 - x64.mean(axis=1)[:, None]
    std = np.sqrt((centred**2).mean(axis=1) + 1e-5)[:, None]
    return {"y": centred / std * gamma[None, :] + beta[None, :]}


def _conv2d(**k: Any) -> dict[str, Array]:
    C, H, W, F, KH, KW = (int(k[n]) for n in ("C", "H", "W", "F", "KH", "KW"))
    x = k["in"].reshape(C, H, W).astype(np.float64)
    w = k["w"].reshape(F, C * KH * KW).astype(np.float64)
    win = np.lib.stride_tricks.sliding_window_view(x, (KH, KW), axis=(1, 2))  # C, OH, OW, KH, KW
    cols = win.transpose(0, 3, 4, 1, 2).reshape(C * KH * KW, -1)
    return {"out": w @ cols}


def _attention(Q: Array, K: Array, V: Array, D: int, **_: int) -> dict[str, Array]:
    s = np.einsum("qd,kd->qk", Q.astype(np.float64), K.astype(np.float64)) / np.sqrt(D)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    return {"O": (p / p.sum(axis=1, keepdims=True)) @ V.astype(np.float64)}


def _focal_split(Ip: Array, Im: Array, a: float, b: float, thresh: float, H: int, W: int) -> dict[str, Array]:
    mean = (Ip.astype(np.float64) + Im) / 2
    half_diff = (Ip.astype(np.float64) - Im) / 2
    z, conf = np.zeros((H, W)), np.zeros((H, W))
    for y in range(1, H - 1):
        row = mean[y]
        lap = mean[y - 1, 1:-1] + mean[y + 1, 1:-1] + row[:-2] + row[2:] - 4 * row[1:-1]
        good = np.abs(lap) > thresh
        safe = np.where(good, lap, 1.0)
        depth_den = b + half_diff[y, 1:-1] / safe
        z[y, 1:-1] = np.where(good, a * depth_den / (depth_den**2 + 1e-4), 0.0)
        conf[y, 1:-1] = good
    return {"Z": z, "conf": conf}


def _psf(P: Array, phi: Array, n: int) -> dict[str, Array]:
    pupil = P.astype(np.float64) * (np.cos(phi.astype(np.float64)) + 1j * np.sin(phi.astype(np.float64)))
    k = np.arange(n)
    dft = np.exp(-2j * np.pi * np.outer(k, k) / n)
    field = dft @ pupil @ dft
    return {"out": field.real**2 + field.imag**2}


FOCAL = {"a": 1.0, "b": 0.5, "thresh": 0.05}
PROBLEMS: list[Problem] = [
    Problem("gemm-256", "gemm 256x256x256 fp32", "gemm", {"M": 256, "N": 256, "K": 256}, _gemm),
    Problem(
        "gemm-513x257x129", "gemm 513x257x129 fp32", "gemm", {"M": 513, "N": 257, "K": 129}, _gemm, False
    ),
    Problem("gemm-1024", "gemm 1024x1024x1024 fp32", "gemm", {"M": 1024, "N": 1024, "K": 1024}, _gemm),
    Problem(
        "softmax-256x1024", "softmax rows=256 cols=1024", "softmax", {"rows": 256, "cols": 1024}, _softmax
    ),
    Problem(
        "layernorm-256x1024",
        "layernorm rows=256 cols=1024",
        "layernorm",
        {"rows": 256, "cols": 1024},
        _layernorm,
    ),
    Problem(
        "conv2d-16x64x64-3x3",
        "conv2d C=16 H=64 W=64 F=16 KH=3 KW=3",
        "conv2d",
        {"C": 16, "H": 64, "W": 64, "F": 16, "KH": 3, "KW": 3},
        _conv2d,
        False,
    ),
    Problem(
        "attention-256x256x64",
        "attention Lq=256 Lk=256 D=64",
        "attention",
        {"Lq": 256, "Lk": 256, "D": 64},
        _attention,
    ),
    Problem(
        "focal-split-480x360",
        "focal split 360x480",
        "focal_split",
        {"H": 360, "W": 480},
        _focal_split,
        extra=FOCAL,
    ),
    Problem("psf-128", "psf 128", "psf", {"n": 128}, _psf),
]


def numpy_baseline(
    kernel: str, arrays: Mapping[str, Array], scalars: Mapping[str, int | float]
) -> Callable[[], Any]:
    """A zero-argument NumPy call doing the problem's work on float32 data, for the speed baseline."""
    s = scalars
    if kernel == "gemm":
        A, B = arrays["A"], arrays["B"]
        return lambda: A @ B
    if kernel == "softmax":
        x = arrays["x"]

        def softmax() -> Array:
            e = np.exp(x - x.max(axis=1, keepdims=True))
            out: Array = e / e.sum(axis=1, keepdims=True)
            return out

        return softmax
    if kernel == "layernorm":
        x, g, b = arrays["x"], arrays["gamma"], arrays["beta"]

        def layernorm() -> Array:
            m = x.mean(axis=1, keepdims=True)
            out: Array = (x - m) / np.sqrt(x.var(axis=1, keepdims=True) + np.float32(1e-5)) * g + b
            return out

        return layernorm
    if kernel == "conv2d":
        C, H, W, F, KH, KW = (int(s[n]) for n in ("C", "H", "W", "F", "KH", "KW"))
        x, w = arrays["in"].reshape(C, H, W), arrays["w"].reshape(F, -1)

        def conv() -> Array:
            win = np.lib.stride_tricks.sliding_window_view(x, (KH, KW), axis=(1, 2))
            out: Array = w @ win.transpose(0, 3, 4, 1, 2).reshape(C * KH * KW, -1)
            return out

        return conv
    if kernel == "attention":
        Q, K, V = arrays["Q"], arrays["K"], arrays["V"]
        scale = np.float32(1.0 / np.sqrt(int(s["D"])))

        def attention() -> Array:
            sc = (Q @ K.T) * scale
            p = np.exp(sc - sc.max(axis=1, keepdims=True))
            out: Array = (p / p.sum(axis=1, keepdims=True)) @ V
            return out

        return attention
    if kernel == "focal_split":
        Ip, Im = arrays["Ip"], arrays["Im"]
        fa, fb, ft = (np.float32(s[n]) for n in ("a", "b", "thresh"))

        def focal() -> tuple[Array, Array]:
            i = (Ip + Im) * np.float32(0.5)
            i_s = (Ip - Im) * np.float32(0.5)
            lap = i[:-2, 1:-1] + i[2:, 1:-1] + i[1:-1, :-2] + i[1:-1, 2:] - 4 * i[1:-1, 1:-1]
            ok = np.abs(lap) > ft
            with np.errstate(divide="ignore", invalid="ignore"):
                d = fb + i_s[1:-1, 1:-1] / lap
                z = np.zeros_like(i)
                z[1:-1, 1:-1] = np.where(ok, fa * d / (d * d + np.float32(1e-4)), 0)
            conf = np.zeros_like(i)
            conf[1:-1, 1:-1] = ok
            return z, conf

        return focal
    if kernel == "psf":
        P, phi = arrays["P"], arrays["phi"]
        return lambda: np.abs(np.fft.fft2(P * np.exp(1j * phi.astype(np.complex64)))) ** 2
    raise KeyError(f"no NumPy baseline for kernel '{kernel}'")
