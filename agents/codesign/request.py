"""Reading a co-design request: accelerator lanes to try, element width, area budget, GEMM shape."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from tools.errors import UsageError

DEFAULT_LANES = (2, 4, 8, 16)


class CodesignRequest(BaseModel):
    """A dot-product accelerator under an area budget and the GEMM kernel that uses it."""

    lanes: list[int] = Field(default_factory=lambda: list(DEFAULT_LANES), description="Lane counts to try.")
    width: int = Field(8, ge=2, le=16, description="Element width in bits (unsigned).")
    area_budget: int = Field(6000, gt=0, description="Area budget in Yosys cells.")
    m: int = Field(8, ge=1, le=64, description="GEMM rows of A and C.")
    n: int = Field(8, ge=1, le=64, description="GEMM columns of B and C.")
    k: int = Field(20, ge=1, le=256, description="GEMM inner dimension.")


_SHAPE = re.compile(r"(\d+)\s*[x×]\s*(\d+)\s*[x×]\s*(\d+)")
_BUDGET = re.compile(r"(?:area\s*)?budget\s*(?:of\s*)?([\d,_]+)\s*(?:k\b|cells)?", re.I)
_LANES = re.compile(r"(?:lanes?|n)\s*(?:in|=|of|:)?\s*[{\[(]?\s*(\d+(?:\s*,\s*\d+)+)", re.I)
_WIDTH = re.compile(r"(\d+)\s*-?\s*bit", re.I)


def is_codesign(text: str) -> bool:
    """True when the request asks for an accelerator together with a kernel that uses it."""
    low = text.lower()
    return ("accelerator" in low or "dot-product" in low or "dot product" in low) and (
        "gemm" in low or "kernel" in low or "matrix" in low
    )


def read_codesign_request(text: str) -> CodesignRequest:
    """Extract lanes, width, budget and shape from free text; defaults fill the rest.

    Raises:
        UsageError: when a value is out of range (the message names it and the allowed range).
    """
    values: dict[str, object] = {}
    if m := _SHAPE.search(text):
        values.update(m=int(m.group(1)), k=int(m.group(2)), n=int(m.group(3)))
    if b := _BUDGET.search(text):
        digits = int(b.group(1).replace(",", "").replace("_", ""))
        values["area_budget"] = digits * 1000 if re.search(r"\d\s*k\b", b.group(0), re.I) else digits
    if lanes := _LANES.search(text):
        values["lanes"] = sorted({int(x) for x in re.split(r"\s*,\s*", lanes.group(1))})
    if w := _WIDTH.search(text):
        values["width"] = int(w.group(1))
    try:
        return CodesignRequest.model_validate(values)
    except ValueError as exc:
        raise UsageError(f"co-design request: {exc}") from None
