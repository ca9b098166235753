"""Turning a design request ("gemm 512x512x512 fp32", "softmax rows=64 cols=1000") into a kernel.

Grammar, case-insensitive, words in any order:

* a kernel name or alias (``gemm``/``sgemm``/``matmul``, ``gemv``, ``conv2d``/``conv``, ``softmax``,
  ``layernorm``, ``sum``/``reduction``, ``transpose``, ``stencil``, ``attention``, ``focal split``/
  ``depth from defocus``, ``psf``/``wavefront``);
* sizes as ``AxBxC`` (in the kernel's dimension order, e.g. gemm M x N x K) and/or ``NAME=VALUE``;
* a data type: ``fp32``/``f32``/``float`` (the only one the library implements).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from agents.sw.specs import kernel_dims, kernel_names
from tools.errors import UsageError

ALIASES: dict[str, str] = {
    "sgemm": "gemm",
    "matmul": "gemm",
    "matrix multiply": "gemm",
    "sgemv": "gemv",
    "matvec": "gemv",
    "convolution": "conv2d",
    "conv": "conv2d",
    "layer norm": "layernorm",
    "layer_norm": "layernorm",
    "reduction": "reduce_sum",
    "reduce": "reduce_sum",
    "sum": "reduce_sum",
    "stencil": "stencil2d",
    "jacobi": "stencil2d",
    "attn": "attention",
    "focal split": "focal_split",
    "focalsplit": "focal_split",
    "depth from defocus": "focal_split",
    "wavefront": "psf",
    "point spread": "psf",
}
_DTYPES = {"fp32": "f32", "f32": "f32", "float": "f32", "float32": "f32"}
_OTHER_DTYPES = {
    "fp16",
    "f16",
    "half",
    "bf16",
    "fp64",
    "f64",
    "double",
    "int8",
    "i8",
    "int32",
    "i32",
    "float64",
}


class KernelRequest(BaseModel):
    """A parsed design request."""

    kernel: str = Field(description="Template library kernel name.")
    dims: dict[str, int] = Field(default_factory=dict, description="Sizes given in the request.")
    dtype: str = Field("f32", description="Element type.")
    text: str = Field("", description="The request as written.")


def parse_request(text: str) -> KernelRequest:
    """Parse ``text`` into a KernelRequest.

    Raises:
        UsageError: when no kernel is named, a dtype other than fp32 is asked for, or the sizes
            do not match the kernel's dimensions (each message says what is allowed).
    """
    low = " ".join(text.lower().replace(",", " ").split())
    kernel = _find_kernel(low)
    names = kernel_dims(kernel)
    dims: dict[str, int] = {}
    for match in re.finditer(r"\b(\d+(?:x\d+)+|\d+)\b(?!\s*=)", _strip_keyvals(low)):
        values = [int(v) for v in match.group(1).split("x")]
        if len(values) > len(names):
            raise UsageError(
                f"'{match.group(1)}' gives {len(values)} sizes but {kernel} has {len(names)}: {' x '.join(names)}"
            )
        if len(values) == 1 and len(names) > 1:
            values = values * len(names) if kernel in ("gemm", "transpose", "stencil2d", "gemv") else values
        dims.update(dict(zip(names, values, strict=False)))
    for key, value in re.findall(r"\b([a-z_][a-z0-9_]*)\s*=\s*(\d+)\b", low):
        name = next((n for n in names if n.lower() == key), None)
        if name is None:
            raise UsageError(f"{kernel} has no dimension '{key}'; dimensions: {', '.join(names)}")
        dims[name] = int(value)
    words = set(re.findall(r"[a-z0-9]+", low))
    bad = sorted(words & _OTHER_DTYPES)
    if bad:
        raise UsageError(
            f"data type {bad[0]} is not implemented; the template library is fp32 only (say fp32)"
        )
    return KernelRequest(kernel=kernel, dims=dims, text=text)


def _strip_keyvals(text: str) -> str:
    return re.sub(r"\b[a-z_][a-z0-9_]*\s*=\s*\d+\b", " ", text)


def _find_kernel(low: str) -> str:
    hits: list[tuple[int, str]] = []
    for name in kernel_names():
        for m in re.finditer(rf"\b{re.escape(name)}\b", low):
            hits.append((m.start(), name))
    for alias, name in ALIASES.items():
        for m in re.finditer(rf"\b{re.escape(alias)}\b", low):
            hits.append((m.start(), name))
    if not hits:
        raise UsageError(
            f"no kernel named in {low!r}; name one of: {', '.join(kernel_names())} "
            "(e.g. 'gemm 512x512x512 fp32', 'softmax rows=64 cols=1000')"
        )
    return min(hits)[1]
