"""One Triton launch that copies both GEMM operands into their padded buffers.

An odd GEMM shape (K or N not a multiple of 8) has rows that start at 2-byte boundaries, which
neither TMA nor 16-byte loads accept, so the operands are first copied into buffers whose row
pitch is a multiple of 8 elements. ``torch``'s strided ``copy_`` does that at about a quarter of
the card's copy bandwidth. This kernel walks the *destination* of both copies as one flat range
(the programs of A first, then those of B), so every store is a contiguous, 16-byte aligned
vector; each element's source address is computed from its row and column (the loads are 2-byte
wide and coalesced across the warp, since the source rows are unaligned). The pad columns are
written with zeros on every call, so the buffers need no clearing. Standard library only.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .plan import PlanError

_HEADER = "import triton\nimport triton.language as tl\n\n\n"


@dataclass(frozen=True)
class PadCopy:
    """The copy kernel's source for one pair of operand shapes, and how to launch it."""

    entry: str
    source: str
    grid: int
    block: int
    num_warps: int


def lower_pad_copy(
    a_shape: tuple[int, int], a_pitch: int, b_shape: tuple[int, int], b_pitch: int, block: int = 4096,
    num_warps: int = 4,
) -> PadCopy:  # fmt: skip
    """Copy contiguous ``a [rows, cols]`` into rows of pitch ``a_pitch`` (and ``b`` likewise);
    the kernel's arguments are ``(a, padded_a, b, padded_b)``."""
    if block & (block - 1) or block < 128:
        raise PlanError(f"block={block}; must be a power of two >= 128")
    parts = []
    progs = []
    for tag, (rows, cols), pitch in (("A", a_shape, a_pitch), ("B", b_shape, b_pitch)):
        if pitch < cols or min(rows, cols) < 1:
            raise PlanError(f"operand {tag}: pitch {pitch} must be >= cols {cols} >= 1 (rows {rows})")
        if rows * pitch >= 2**31:
            raise PlanError(f"operand {tag}: {rows} x {pitch} elements exceed 32-bit indexing")
        total = rows * pitch
        progs.append(-(-total // block))
        store_mask = "" if total % block == 0 else f", mask=d < {total}"
        parts.append(
            [
                f"        d = (pid - {0 if tag == 'A' else progs[0]}) * BLOCK + tl.arange(0, BLOCK)",
                f"        row = d // {pitch}",
                f"        col = d - row * {pitch}",
                f"        x = tl.load(src_{tag.lower()} + row * {cols} + col, "
                f"mask=(col < {cols}) & (d < {total}), other=0.0)",
                f"        tl.store(dst_{tag.lower()} + d, x{store_mask})",
            ]
        )
    entry = f"qm_pad_copy_{a_shape[0]}x{a_shape[1]}p{a_pitch}_{b_shape[0]}x{b_shape[1]}p{b_pitch}_b{block}"
    lines = [
        "@triton.jit",
        f"def {entry}(src_a, dst_a, src_b, dst_b, BLOCK: tl.constexpr):",
        "    pid = tl.program_id(0)",
        f"    if pid < {progs[0]}:",
        *parts[0],
        "    else:",
        *parts[1],
    ]
    source = _HEADER + "\n".join(lines) + "\n"
    ast.parse(source)
    return PadCopy(entry, source, progs[0] + progs[1], block, num_warps)
