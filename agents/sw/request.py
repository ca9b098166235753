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

from agents.sw.specs import KERNELS, kernel_dims, kernel_names
from tools.errors import UsageError
from tools.evidence import Interpretation, Reading

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
    interpretation: Interpretation | None = Field(
        None, description="Kernel, sizes, data type and layout, each read from the text or assumed."
    )


# Behaviours a request may ask for that the templates do not implement: (words, what they implement).
_UNSUPPORTED: tuple[tuple[str, str], ...] = (
    (r"\b(?:column|col)[\s-]*major\b|\bfortran[\s-]*order\b", "row-major arrays only"),
    (
        r"\btranspos(?:ed|e of)\b|\b[ab]\s*\^\s*t\b|\bgemm[\s_-]*(?:nt|tn|tt)\b",
        "C = A x B without transposed operands",
    ),
    (
        r"\b(?:column[\s-]*wise|along\s+(?:the\s+)?columns|over\s+(?:the\s+)?columns|axis\s*=\s*0|dim\s*=\s*0)\b",
        "reductions along each row (the last axis) only",
    ),
    (r"\b(?:padding|padded|stride|strided|dilat\w*)\b", "'valid' convolution with stride 1 only"),
    (r"\b(?:causal|masked|mask)\b", "unmasked attention only"),
    (r"\b(?:in[\s-]*place)\b", "separate input and output arrays only"),
)
# What each kernel computes beyond its shape (the only meaning the templates implement), with the
# words that state it: (reading, value, words). Unsaid, the reading shows as assumed.
_ROWS = r"\b(?:row[\s-]*wise|per[\s-]+row|each\s+row|along\s+(?:the\s+)?rows|last\s+axis|axis\s*=\s*-?1)\b"
_SEMANTICS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "gemm": (("operands", "C = A x B", r"\bc\s*=\s*a\s*[x*@]\s*b\b|\bno\s+transpos\w*"),),
    "gemv": (("operands", "y = A x", r"\by\s*=\s*a\s*[x*@]?\s*x\b"),),
    "softmax": (("axis", "each row", _ROWS),),
    "layernorm": (("axis", "each row", _ROWS),),
    "conv2d": (("padding", "valid, stride 1", r"\bvalid\b"),),
    "attention": (("mask", "none", r"\bunmasked\b|\bno\s+mask\b|\bnon[\s-]*causal\b"),),
}
# A number that counts something other than a size ("4 threads", "8-lane"): never read as a size.
_COUNTED = re.compile(
    r"(?<![\w.])\d+(?:-|\s+)(?:threads?|cores?|lanes?|bits?|bytes?|times|iterations?|elements?|steps?|"
    r"channels?|batch(?:es)?|heads?|layers?|rows?|cols?|columns?|kb|mb|gb|ghz|mhz)\b(?![\s-]*major)"
)
_SIZE = re.compile(r"(?<![\w.])(-?\d+(?:\s*x\s*-?\d+)+|-?\d+)(?![\w.]|\s*=)")
_KEYVAL = re.compile(r"\b([a-z_][a-z0-9_]*)\s*=\s*(-?\d+)\b")


def parse_request(text: str) -> KernelRequest:
    """Parse ``text`` into a KernelRequest with its interpretation.

    Sizes are read as ``AxBxC`` (the kernel's dimension order), ``NAME=VALUE`` or ``VALUE NAME``
    ("64 rows"); one bare size for a kernel whose dimensions are all alike fills them all.

    Raises:
        UsageError: when no kernel is named, a dtype other than fp32 is asked for, a size is zero or
            negative, the sizes do not match the kernel's dimensions, two bare sizes leave their
            order open, a behaviour the templates do not implement is asked for (column-major,
            transposed operands, padding, masks), or a number of the request is used by nothing
            (each message says what is allowed).
    """
    low = " ".join(text.lower().replace(",", " ").split())
    kernel, kernel_words = _find_kernel(low)
    names = kernel_dims(kernel)
    for pattern, allowed in _UNSUPPORTED:
        hit = re.search(pattern, low)
        if hit:
            raise UsageError(
                f"{kernel}: the request asks for '{hit.group(0)}'; the templates implement {allowed}"
            )
    readings = [Reading(name="kernel", value=kernel, source="text", words=kernel_words)]
    used: list[tuple[int, int]] = []
    dims: dict[str, int] = {}
    words: dict[str, str] = {}
    for key, value in _KEYVAL.findall(low):
        name = next((n for n in names if n.lower() == key), None)
        if name is None:
            raise UsageError(f"{kernel} has no dimension '{key}'; dimensions: {', '.join(names)}")
        dims[name], words[name] = _positive(kernel, name, int(value)), f"{key}={value}"
    for m in _KEYVAL.finditer(low):
        used.append(m.span())
    for name in names:
        named = re.search(rf"(?<![\w.])(-?\d+)\s+{re.escape(name.lower())}s?\b", low)
        if named and name not in dims:
            dims[name], words[name] = _positive(kernel, name, int(named.group(1))), named.group(0)
            used.append(named.span())
    for counted in _COUNTED.finditer(low):
        if not any(a <= counted.start() < b for a, b in used):
            raise UsageError(
                f"{kernel}: '{counted.group(0)}' is not one of its sizes ({', '.join(names)}) and the "
                "templates take no such parameter; leave it out or give the sizes as NAME=VALUE"
            )
    bare = [m for m in _SIZE.finditer(low) if not any(a <= m.start() < b for a, b in used)]
    bare = [m for m in bare if not _inside_word(low, m)]
    if len(bare) > 1:
        raise UsageError(
            f"the sizes {' and '.join(repr(m.group(1)) for m in bare)} leave their order open; write them as "
            f"one {'x'.join(names)} group or as {' '.join(f'{n}=...' for n in names)}"
        )
    for m in bare:
        values = [int(v) for v in re.split(r"\s*x\s*", m.group(1))]
        if len(values) > len(names):
            raise UsageError(
                f"'{m.group(1)}' gives {len(values)} sizes but {kernel} has {len(names)}: {' x '.join(names)}"
            )
        if len(values) == 1 and len(names) > 1 and kernel in _SQUARE:
            values = values * len(names)
        for name, value in zip(names, values, strict=False):
            if name not in dims:
                dims[name], words[name] = _positive(kernel, name, value), m.group(0)
    defaults = KERNELS[kernel].defaults
    for name in names:
        if name in dims:
            readings.append(
                Reading(
                    name=name, value=dims[name], source="text", words=words[name], decides_behaviour=False
                )
            )
        else:
            readings.append(
                Reading(name=name, value=defaults[name], source="assumed", decides_behaviour=False)
            )
    found = set(re.findall(r"[a-z0-9]+", low))
    bad = sorted(found & _OTHER_DTYPES)
    if bad:
        raise UsageError(
            f"data type {bad[0]} is not implemented; the template library is fp32 only (say fp32)"
        )
    dtype = next((w for w in re.findall(r"[a-z0-9]+", low) if w in _DTYPES), None)
    if dtype is None and kernel_words in ("sgemm", "sgemv"):  # single precision by name
        dtype = kernel_words
    readings.append(
        Reading(name="dtype", value="f32", source="text", words=dtype)
        if dtype
        else Reading(name="dtype", value="f32", source="assumed")
    )
    layout = re.search(r"\brow[\s-]*major\b|\bc[\s-]*order\b", low)
    readings.append(
        Reading(name="layout", value="row-major", source="text", words=layout.group(0))
        if layout
        else Reading(name="layout", value="row-major", source="assumed")
    )
    for name, value, pattern in _SEMANTICS.get(kernel, ()):
        said = re.search(pattern, low)
        readings.append(
            Reading(name=name, value=value, source="text", words=said.group(0))
            if said
            else Reading(name=name, value=value, source="assumed")
        )
    return KernelRequest(
        kernel=kernel,
        dims=dims,
        text=text,
        interpretation=Interpretation(by=f"offline:{kernel}", readings=readings),
    )


_SQUARE = ("gemm", "transpose", "stencil2d", "gemv")


def _positive(kernel: str, name: str, value: int) -> int:
    if value < 1:
        raise UsageError(f"dimension {name}={value} of {kernel} must be a whole number >= 1")
    return value


def _inside_word(text: str, m: re.Match[str]) -> bool:
    """True for digits that belong to a word such as fp32, x86_64 or riscv64."""
    return m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_")


def _strip_keyvals(text: str) -> str:
    return re.sub(r"\b[a-z_][a-z0-9_]*\s*=\s*\d+\b", " ", text)


def _find_kernel(low: str) -> tuple[str, str]:
    """The kernel the request names first, and the words that named it."""
    hits: list[tuple[int, str, str]] = []
    for name in kernel_names():
        for m in re.finditer(rf"\b{re.escape(name)}\b", low):
            hits.append((m.start(), name, m.group(0)))
    for alias, name in ALIASES.items():
        for m in re.finditer(rf"\b{re.escape(alias)}\b", low):
            hits.append((m.start(), name, m.group(0)))
    if not hits:
        raise UsageError(
            f"no kernel named in {low!r}; name one of: {', '.join(kernel_names())} "
            "(e.g. 'gemm 512x512x512 fp32', 'softmax rows=64 cols=1000')"
        )
    _, kernel, words = min(hits)
    return kernel, words
