"""Reading a GPU design request ("gemm 1024x1024x1024 bf16", "attention seq=4096 dim=128 causal").

The CUDA target serves the GPU kit's kernels only, in bf16 with fp32 accumulation:

* ``gemm`` (``matmul``): sizes as ``MxNxK``, one bare size for a square problem, or ``M=``/``N=``/``K=``;
* ``attention`` (``attn``, ``sdpa``): ``batch=``, ``heads=``, ``seq=``, ``dim=`` (head dimension),
  ``causal`` or ``full``/``non-causal`` (unsaid: full, shown as assumed).

A data type other than ``bf16``/``bfloat16`` is refused, and so is any other kernel.
"""

from __future__ import annotations

import re

from agents.sw.request import KernelRequest
from tools.errors import UsageError
from tools.evidence import Interpretation, Reading

GPU_KERNELS: dict[str, tuple[str, ...]] = {
    "gemm": ("M", "N", "K"),
    "attention": ("batch", "heads", "seq", "dim"),
}
_DEFAULTS: dict[str, dict[str, int]] = {
    "gemm": {"M": 4096, "N": 4096, "K": 4096},
    "attention": {"batch": 4, "heads": 16, "seq": 4096, "dim": 128},
}
_ALIASES = {
    "gemm": "gemm",
    "matmul": "gemm",
    "attention": "attention",
    "attn": "attention",
    "sdpa": "attention",
}
_KEYS = {"b": "batch", "h": "heads", "s": "seq", "d": "dim", "head_dim": "dim", "seq_len": "seq"}
_KERNEL_WORDS = re.compile(r"\b(?:" + "|".join(_ALIASES) + r")\b")
_BF16 = ("bf16", "bfloat16")
_OTHER_DTYPES = (
    "fp32",
    "f32",
    "float32",
    "float",
    "fp16",
    "f16",
    "half",
    "fp64",
    "f64",
    "double",
    "int8",
    "fp8",
)


def parse_gpu_request(text: str) -> KernelRequest:
    """Parse ``text`` for the CUDA target into a KernelRequest (dtype ``bf16``; attention's mask in
    ``dims['causal']`` as 0 or 1) with its interpretation.

    Raises:
        UsageError: when no GPU kernel is named, another data type is asked for, a size is not a
            whole number >= 1, a NAME=VALUE names no dimension, or sizes are given twice.
    """
    low = " ".join(text.lower().replace(",", " ").split())
    hits = sorted(
        (m.start(), _ALIASES[m.group(0)], m.group(0))
        for m in re.finditer(rf"\b(?:{'|'.join(_ALIASES)})\b", low)
    )
    if not hits:
        raise UsageError(
            f"no GPU kernel named in {low!r}; the cuda target designs {' and '.join(GPU_KERNELS)} in bf16 "
            "(e.g. 'gemm 1024x1024x1024 bf16', 'attention seq=4096 dim=128 causal bf16')"
        )
    _, kernel, kernel_words = hits[0]
    names = GPU_KERNELS[kernel]
    bad = sorted(set(re.findall(r"[a-z0-9]+", low)) & set(_OTHER_DTYPES))
    if bad:
        raise UsageError(
            f"data type {bad[0]} is not implemented on cuda; the GPU kit is bf16 only (say bf16)"
        )
    dims: dict[str, int] = {}
    words: dict[str, str] = {}
    for m in re.finditer(r"\b([a-z_]+)\s*=\s*(-?\d+)\b", low):
        name = next((n for n in names if n.lower() == _KEYS.get(m.group(1), m.group(1)).lower()), None)
        if name is None:
            raise UsageError(
                f"{kernel} on cuda has no dimension '{m.group(1)}'; dimensions: {', '.join(names)}"
            )
        dims[name], words[name] = _positive(kernel, name, int(m.group(2))), m.group(0)
    rest = re.sub(r"\b[a-z_]+\s*=\s*-?\d+\b", " ", low)
    bare = [m for m in re.finditer(r"(?<![\w.])(-?\d+(?:\s*x\s*-?\d+)*)(?![\w.])", rest)]
    if kernel == "attention" and bare:
        raise UsageError(f"give attention's sizes as NAME=VALUE ({', '.join(n + '=...' for n in names)})")
    if len(bare) > 1:
        raise UsageError(
            f"the sizes {' and '.join(repr(m.group(1)) for m in bare)} leave their order open; write MxNxK"
        )
    for m in bare:
        values = [int(v) for v in re.split(r"\s*x\s*", m.group(1))]
        if len(values) not in (1, len(names)):
            raise UsageError(f"'{m.group(1)}' gives {len(values)} sizes but gemm has 3: M x N x K")
        for name, value in zip(names, values * 3 if len(values) == 1 else values, strict=False):
            if name in dims:
                raise UsageError(f"{name} is given twice ('{words[name]}' and '{m.group(1)}')")
            dims[name], words[name] = _positive(kernel, name, value), m.group(0)
    readings = [Reading(name="kernel", value=kernel, source="text", words=kernel_words)]
    for name in names:
        if name in dims:
            readings.append(
                Reading(
                    name=name, value=dims[name], source="text", words=words[name], decides_behaviour=False
                )
            )
        else:
            dims[name] = _DEFAULTS[kernel][name]
            readings.append(Reading(name=name, value=dims[name], source="assumed", decides_behaviour=False))
    dtype = next((w for w in re.findall(r"[a-z0-9]+", low) if w in _BF16), None)
    readings.append(
        Reading(name="dtype", value="bf16", source="text", words=dtype)
        if dtype
        else Reading(name="dtype", value="bf16", source="assumed")
    )
    if kernel == "attention":
        causal = re.search(r"\bnon[\s-]*causal\b|\bfull\b|\bunmasked\b|\bno\s+mask\b|\bcausal\b", low)
        is_causal = bool(causal) and causal.group(0) == "causal"  # type: ignore[union-attr]
        dims["causal"] = int(is_causal)
        readings.append(
            Reading(
                name="mask", value="causal" if is_causal else "none", source="text", words=causal.group(0)
            )
            if causal
            else Reading(name="mask", value="none", source="assumed")
        )
    return KernelRequest(
        kernel=kernel,
        dims=dims,
        dtype="bf16",
        text=text,
        interpretation=Interpretation(by=f"offline:gpu-kit:{kernel}", readings=readings),
    )


def _positive(kernel: str, name: str, value: int) -> int:
    if value < 1:
        raise UsageError(f"dimension {name}={value} of {kernel} must be a whole number >= 1")
    return value
