"""PyTorch CPU baselines of the kernel suite: what a user who already has PyTorch would call.

oneDNN's convolution (``conv2d``), the fused ``scaled_dot_product_attention``, ``torch.mm``,
``softmax``, ``layer_norm``, ``torch.fft.fft2``; Focal Split as tensor expressions. Imported only by
the baseline subprocess (``evals._numpy_bench``), which sets the thread count first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

Array = np.ndarray[Any, Any]


def torch_baseline(
    kernel: str, arrays: Mapping[str, Array], scalars: Mapping[str, int | float]
) -> Callable[[], Any]:
    """A zero-argument PyTorch call doing the problem's work on float32 CPU tensors.

    Raises:
        KeyError: for a kernel without a PyTorch baseline.
    """
    t = {name: torch.from_numpy(np.ascontiguousarray(a)) for name, a in arrays.items()}
    s = scalars
    if kernel == "gemm":
        A, B = t["A"], t["B"]
        return lambda: torch.mm(A, B)
    if kernel == "softmax":
        x = t["x"]
        return lambda: torch.softmax(x, dim=1)
    if kernel == "layernorm":
        x, g, b = t["x"], t["gamma"], t["beta"]
        return lambda: F.layer_norm(x, (x.shape[1],), g, b, eps=1e-5)
    if kernel == "conv2d":
        C, H, W, Fo, KH, KW = (int(s[n]) for n in ("C", "H", "W", "F", "KH", "KW"))
        x, w = t["in"].reshape(1, C, H, W), t["w"].reshape(Fo, C, KH, KW)
        return lambda: F.conv2d(x, w)
    if kernel == "attention":
        Q, K, V = (t[n][None, None] for n in ("Q", "K", "V"))
        return lambda: F.scaled_dot_product_attention(Q, K, V)
    if kernel == "focal_split":
        Ip, Im = t["Ip"], t["Im"]
        fa, fb, ft = (float(s[n]) for n in ("a", "b", "thresh"))

        def focal() -> tuple[torch.Tensor, torch.Tensor]:
            i = (Ip + Im) * 0.5
            i_s = (Ip - Im) * 0.5
            lap = i[:-2, 1:-1] + i[2:, 1:-1] + i[1:-1, :-2] + i[1:-1, 2:] - 4 * i[1:-1, 1:-1]
            ok = lap.abs() > ft
            d = fb + i_s[1:-1, 1:-1] / lap
            z = torch.zeros_like(i)
            z[1:-1, 1:-1] = torch.where(ok, fa * d / (d * d + 1e-4), 0.0)
            conf = torch.zeros_like(i)
            conf[1:-1, 1:-1] = ok.to(i.dtype)
            return z, conf

        return focal
    if kernel == "psf":
        P, phi = t["P"], t["phi"]
        return lambda: torch.fft.fft2(torch.polar(P, phi)).abs().square()
    raise KeyError(f"no PyTorch baseline for kernel '{kernel}'")
