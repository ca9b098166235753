"""The C ABI and NumPy meaning of every template-library kernel, as :class:`KernelSpec` builders.

``kernel_spec(name, dims)`` gives the spec a design request is checked against: the function
signature the templates implement, a NumPy reference of the documented semantics, the cost model,
small awkward test shapes (1, primes, non-multiples of every vector length) plus the requested
shape when it is cheap enough to check, and the requested shape for timing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tools.errors import UsageError
from tools.kernels.spec import KernelArg, KernelSpec
from tools.settings import get_settings

Array = np.ndarray[Any, Any]
Shape = dict[str, int | float]
FS_EPS2 = 1e-4
"""Focal Split: Z = a*d/(d^2 + FS_EPS2), i.e. a/d regularised near the pole d = b + Is/lap = 0."""


def _a(name: str, role: str, *shape: str, dtype: str = "f32") -> KernelArg:
    return KernelArg(name=name, role=role, dtype=dtype, shape=list(shape))  # type: ignore[arg-type]


def _dims(*names: str) -> list[KernelArg]:
    return [_a(n, "scalar", dtype="i32") for n in names]


def _softmax_rows(x: Array) -> Array:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    out: Array = e / e.sum(axis=-1, keepdims=True)
    return out


def _conv2d(inp: Array, w: Array, C: int, H: int, W: int, F: int, KH: int, KW: int) -> dict[str, Array]:
    oh, ow = H - KH + 1, W - KW + 1
    x = inp.reshape(C, H, W).astype(np.float64)
    wk = w.reshape(F, C, KH, KW).astype(np.float64)
    out = np.zeros((F, oh, ow))
    for ky in range(KH):
        for kx in range(KW):
            out += np.einsum("fc,chw->fhw", wk[:, :, ky, kx], x[:, ky : ky + oh, kx : kx + ow])
    return {"out": out.reshape(F, oh * ow)}


def _layernorm(x: Array, gamma: Array, beta: Array, **_: int) -> dict[str, Array]:
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=1, keepdims=True)
    var = x64.var(axis=1, keepdims=True)
    return {"y": (x64 - mean) / np.sqrt(var + 1e-5) * gamma + beta}


def _stencil(inp: Array, H: int, W: int) -> dict[str, Array]:
    out = inp.astype(np.float64).copy()
    if H >= 3 and W >= 3:
        c = inp.astype(np.float64)
        out[1:-1, 1:-1] = 0.2 * (c[1:-1, 1:-1] + c[:-2, 1:-1] + c[2:, 1:-1] + c[1:-1, :-2] + c[1:-1, 2:])
    return {"out": out}


def _attention(Q: Array, K: Array, V: Array, Lq: int, Lk: int, D: int) -> dict[str, Array]:
    s = Q.astype(np.float64) @ K.astype(np.float64).T / np.sqrt(D)
    return {"O": _softmax_rows(s) @ V.astype(np.float64)}


def focal_split_reference(
    Ip: Array, Im: Array, a: float, b: float, thresh: float, **_: int
) -> dict[str, Array]:
    """NumPy Focal Split with the documented semantics (see templates/focal_split.c.j2)."""
    i = 0.5 * (Ip.astype(np.float64) + Im)
    i_s = 0.5 * (Ip.astype(np.float64) - Im)
    z, conf = np.zeros_like(i), np.zeros_like(i)
    lap = i[:-2, 1:-1] + i[2:, 1:-1] + i[1:-1, :-2] + i[1:-1, 2:] - 4.0 * i[1:-1, 1:-1]
    ok = np.abs(lap) > thresh
    with np.errstate(divide="ignore", invalid="ignore"):
        d = b + i_s[1:-1, 1:-1] / lap
        z[1:-1, 1:-1] = np.where(ok, a * d / (d * d + FS_EPS2), 0.0)
    conf[1:-1, 1:-1] = ok
    return {"Z": z, "conf": conf}


def _psf(P: Array, phi: Array, n: int) -> dict[str, Array]:
    field = P.astype(np.float64) * np.exp(1j * phi.astype(np.float64))
    return {"out": np.abs(np.fft.fft2(field)) ** 2}


def _positive_frames(rng: np.random.Generator, s: Mapping[str, int | float]) -> dict[str, Array]:
    """8-bit camera frames scaled to [0, 1): values k/256 are exact in fp32, so I, Is and the
    Laplacian are exact and the confidence mask cannot flip on rounding."""
    h, w = int(s["H"]), int(s["W"])
    ip, im = (rng.integers(0, 256, (2, h, w)) / 256.0).astype(np.float32)
    return {"Ip": ip, "Im": im}


def _pupil(rng: np.random.Generator, s: Mapping[str, int | float]) -> dict[str, Array]:
    n = int(s["n"])
    yy, xx = np.mgrid[:n, :n] - (n - 1) / 2.0
    disc = (np.hypot(yy, xx) <= n / 2.0).astype(np.float32)
    return {"P": disc, "phi": rng.uniform(-np.pi, np.pi, (n, n)).astype(np.float32)}


@dataclass(frozen=True)
class KernelDef:
    """How to build one kernel's spec: dims in request order, defaults, args, reference and costs."""

    dims: tuple[str, ...]
    defaults: Shape
    args: Callable[[], list[KernelArg]]
    reference: Callable[..., Mapping[str, Any]]
    flops: str | Callable[..., float]
    tests: tuple[Shape, ...]
    fixed: Shape | None = None
    make_inputs: Callable[[np.random.Generator, Mapping[str, int | float]], Mapping[str, Any]] | None = None
    tolerance: float | None = None


KERNELS: dict[str, KernelDef] = {
    "gemm": KernelDef(
        ("M", "N", "K"),
        {"M": 512, "N": 512, "K": 512},
        lambda: [
            _a("A", "in", "M", "K"),
            _a("B", "in", "K", "N"),
            _a("C", "out", "M", "N"),
            *_dims("M", "N", "K"),
        ],
        lambda A, B, **_: {"C": A.astype(np.float64) @ B},
        "2*M*N*K",
        ({"M": 1, "N": 1, "K": 1}, {"M": 17, "N": 33, "K": 9}, {"M": 37, "N": 50, "K": 70}),
    ),
    "gemv": KernelDef(
        ("M", "N"),
        {"M": 1024, "N": 1024},
        lambda: [_a("A", "in", "M", "N"), _a("x", "in", "N"), _a("y", "out", "M"), *_dims("M", "N")],
        lambda A, x, **_: {"y": A.astype(np.float64) @ x},
        "2*M*N",
        ({"M": 1, "N": 1}, {"M": 7, "N": 37}, {"M": 33, "N": 100}),
    ),
    "conv2d": KernelDef(
        ("C", "H", "W", "F", "KH", "KW"),
        {"C": 16, "H": 64, "W": 64, "F": 16, "KH": 3, "KW": 3},
        lambda: [
            _a("in", "in", "C", "H * W"),
            _a("w", "in", "F", "C * KH * KW"),
            _a("out", "out", "F", "(H - KH + 1) * (W - KW + 1)"),
            *_dims("C", "H", "W", "F", "KH", "KW"),
        ],
        lambda **k: _conv2d(k["in"], k["w"], k["C"], k["H"], k["W"], k["F"], k["KH"], k["KW"]),
        "2*F*C*KH*KW*(H-KH+1)*(W-KW+1)",
        (
            {"C": 1, "H": 3, "W": 3, "F": 1, "KH": 3, "KW": 3},
            {"C": 3, "H": 11, "W": 23, "F": 5, "KH": 3, "KW": 2},
        ),
    ),
    "softmax": KernelDef(
        ("rows", "cols"),
        {"rows": 256, "cols": 1024},
        lambda: [_a("x", "in", "rows", "cols"), _a("y", "out", "rows", "cols"), *_dims("rows", "cols")],
        lambda x, **_: {"y": _softmax_rows(x.astype(np.float64))},
        "5*rows*cols",
        ({"rows": 1, "cols": 1}, {"rows": 3, "cols": 37}, {"rows": 9, "cols": 130}),
    ),
    "layernorm": KernelDef(
        ("rows", "cols"),
        {"rows": 256, "cols": 1024},
        lambda: [
            _a("x", "in", "rows", "cols"),
            _a("gamma", "in", "cols"),
            _a("beta", "in", "cols"),
            _a("y", "out", "rows", "cols"),
            *_dims("rows", "cols"),
        ],
        _layernorm,
        "8*rows*cols",
        ({"rows": 1, "cols": 2}, {"rows": 3, "cols": 37}, {"rows": 9, "cols": 130}),
    ),
    "reduce_sum": KernelDef(
        ("n",),
        {"n": 1 << 20},
        lambda: [_a("x", "in", "n"), _a("out", "out", "1"), *_dims("n")],
        lambda x, **_: {"out": np.array([x.astype(np.float64).sum()])},
        "n",
        ({"n": 1}, {"n": 31}, {"n": 5003}),
    ),
    "transpose": KernelDef(
        ("M", "N"),
        {"M": 1024, "N": 1024},
        lambda: [_a("A", "in", "M", "N"), _a("B", "out", "N", "M"), *_dims("M", "N")],
        lambda A, **_: {"B": A.T.copy()},
        "0",
        ({"M": 1, "N": 1}, {"M": 7, "N": 37}, {"M": 65, "N": 33}),
    ),
    "stencil2d": KernelDef(
        ("H", "W"),
        {"H": 1024, "W": 1024},
        lambda: [_a("inp", "in", "H", "W"), _a("out", "out", "H", "W"), *_dims("H", "W")],
        lambda inp, H, W: _stencil(inp, H, W),
        "5*H*W",
        ({"H": 1, "W": 1}, {"H": 3, "W": 3}, {"H": 13, "W": 37}),
    ),
    "attention": KernelDef(
        ("Lq", "Lk", "D"),
        {"Lq": 256, "Lk": 256, "D": 64},
        lambda: [
            _a("Q", "in", "Lq", "D"),
            _a("K", "in", "Lk", "D"),
            _a("V", "in", "Lk", "D"),
            _a("O", "out", "Lq", "D"),
            *_dims("Lq", "Lk", "D"),
        ],
        _attention,
        "4*Lq*Lk*D",
        ({"Lq": 1, "Lk": 1, "D": 1}, {"Lq": 5, "Lk": 70, "D": 17}, {"Lq": 3, "Lk": 37, "D": 33}),
    ),
    "focal_split": KernelDef(
        ("H", "W"),
        {"H": 360, "W": 480},
        lambda: [
            _a("Ip", "in", "H", "W"),
            _a("Im", "in", "H", "W"),
            _a("Z", "out", "H", "W"),
            _a("conf", "out", "H", "W"),
            *_dims("H", "W"),
            _a("a", "scalar", dtype="f32"),
            _a("b", "scalar", dtype="f32"),
            _a("thresh", "scalar", dtype="f32"),
        ],
        focal_split_reference,
        "16*H*W",
        ({"H": 1, "W": 1}, {"H": 3, "W": 3}, {"H": 7, "W": 2}, {"H": 19, "W": 37}),
        fixed={"a": 1.0, "b": 0.5, "thresh": 0.05},
        make_inputs=_positive_frames,
    ),
    "psf": KernelDef(
        ("n",),
        {"n": 128},
        lambda: [_a("P", "in", "n", "n"), _a("phi", "in", "n", "n"), _a("out", "out", "n", "n"), *_dims("n")],
        lambda P, phi, n: _psf(P, phi, n),
        lambda n, **_: 10.0 * n * n * math.log2(max(n, 2)),
        ({"n": 1}, {"n": 2}, {"n": 16}, {"n": 64}),
        make_inputs=_pupil,
        tolerance=1e-4,
    ),
}


CHECK_BUDGET_FLOPS = {"native": 4e9, "emulated": 4e7}
"""The requested shape joins the test shapes when one call costs at most this much."""


def kernel_names() -> list[str]:
    """Names of the kernels the library implements."""
    return sorted(KERNELS)


def kernel_dims(name: str) -> tuple[str, ...]:
    """The dimension names of ``name`` in request order (``gemm``: M, N, K)."""
    return _def(name).dims


def kernel_spec(name: str, dims: Mapping[str, int] | None = None, *, emulated: bool = False) -> KernelSpec:
    """The spec of kernel ``name`` at ``dims`` (missing dims take the kernel's defaults).

    Test shapes are the kernel's awkward small shapes, plus the requested shape when one call
    costs at most ``CHECK_BUDGET_FLOPS`` on this kind of target; ``bench_shapes`` is the request.

    Raises:
        UsageError: for an unknown kernel, an unknown or non-positive dim, or a shape the kernel
            does not accept (conv2d filter larger than the image, psf size not a power of two).
    """
    kd = _def(name)
    chosen: dict[str, int | float] = dict(kd.defaults)
    for key, value in (dims or {}).items():
        if key not in kd.dims:
            raise UsageError(f"kernel '{name}' has no dimension '{key}'; dimensions: {', '.join(kd.dims)}")
        if int(value) != value or value < 1:
            raise UsageError(f"dimension {key}={value} of '{name}' must be a whole number >= 1")
        chosen[key] = int(value)
    _validate(name, chosen)
    fixed = dict(kd.fixed or {})
    request = {**chosen, **fixed}
    tests = [{**t, **fixed} for t in kd.tests]
    spec = KernelSpec(
        name=name,
        args=kd.args(),
        reference=kd.reference,
        flops=kd.flops,
        shapes=tests,
        bench_shapes=[request],
        make_inputs=kd.make_inputs,
        tolerance=kd.tolerance,
        description=f"{name} {' '.join(f'{k}={v}' for k, v in chosen.items())}",
    )
    cost = spec.flops_at(request) or spec.bytes_at(request) or 0.0
    budget = CHECK_BUDGET_FLOPS["emulated" if emulated else "native"]
    if cost <= budget and request not in tests:
        spec = spec.model_copy(update={"shapes": [*tests, request]})
    spec.check_memory(get_settings().sandbox.memory_mb)
    return spec


def _def(name: str) -> KernelDef:
    if name not in KERNELS:
        raise UsageError(f"unknown kernel '{name}'; known kernels: {', '.join(sorted(KERNELS))}")
    return KERNELS[name]


def _validate(name: str, d: Mapping[str, int | float]) -> None:
    if name == "conv2d" and (d["KH"] > d["H"] or d["KW"] > d["W"]):
        raise UsageError(f"conv2d filter {d['KH']}x{d['KW']} is larger than the image {d['H']}x{d['W']}")
    if name == "psf" and int(d["n"]) & (int(d["n"]) - 1):
        raise UsageError(
            f"psf size n={d['n']} must be a power of two (the FFT is radix-2), e.g. 64, 128, 256"
        )
