"""One Triton launch that copies both GEMM operands into their padded buffers (and one that copies
a padded result back out).

An odd GEMM shape (K or N not a multiple of 8) has rows that start at 2-byte boundaries, which
neither TMA nor 16-byte loads accept, so the operands are first copied into buffers whose row
pitch is a multiple of 8 elements. ``torch``'s strided ``copy_`` does that at about a quarter of
the card's copy bandwidth. This kernel walks the *destination* of both copies as one flat range
(the programs of A first, then those of B), so every store is a contiguous, 16-byte aligned
vector; each element's source address is computed from its row and column (the loads are 2-byte
wide and coalesced across the warp, since the source rows are unaligned). The pad columns are
written with zeros on every call, so the buffers need no clearing. :func:`lower_unpad_copy` is
the way back: a result computed into a padded buffer (so that its stores are aligned) is copied
into the real, unaligned output, again walking the destination. Standard library only.
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
    num_warps: int = 4, wide: bool = False,
) -> PadCopy:  # fmt: skip
    """Copy contiguous ``a [rows, cols]`` into rows of pitch ``a_pitch`` (and ``b`` likewise);
    the kernel's arguments are ``(a, padded_a, b, padded_b)``. ``wide``: see :func:`_wide_body`."""
    if block & (block - 1) or block < 128:
        raise PlanError(f"block={block}; must be a power of two >= 128")
    parts = []
    progs: list[int] = []
    for tag, (rows, cols), pitch in (("A", a_shape, a_pitch), ("B", b_shape, b_pitch)):
        if pitch < cols or min(rows, cols) < 1:
            raise PlanError(f"operand {tag}: pitch {pitch} must be >= cols {cols} >= 1 (rows {rows})")
        if rows * pitch >= 2**31:
            raise PlanError(f"operand {tag}: {rows} x {pitch} elements exceed 32-bit indexing")
        total = rows * pitch
        first = progs[0] if progs else 0
        progs.append(-(-total // block))
        if wide:
            if pitch % 8 or pitch + 8 > 2 * cols:
                raise PlanError(f"operand {tag}: wide loads need pitch % 8 == 0 and pitch + 8 <= 2 cols")
            parts.append(_wide_body(tag.lower(), rows, cols, pitch, first, block))
            continue
        src = f"src_{tag.lower()} + row * {cols} + col"
        body = [
            f"        d = (pid - {first}) * BLOCK + tl.arange(0, BLOCK)",
            f"        row = d // {pitch}",
            f"        col = d - row * {pitch}",
        ]
        if total % block == 0:
            body += [f"        tl.store(dst_{tag.lower()} + d, tl.load({src}, mask=col < {cols}, other=0.0))"]
        else:
            # whole blocks store unmasked (16-byte vectors); only the last, partial one is masked
            body += [
                f"        if pid - {first} < {total // block}:",
                f"            tl.store(dst_{tag.lower()} + d, tl.load({src}, mask=col < {cols}, other=0.0))",
                "        else:",
                f"            x = tl.load({src}, mask=(col < {cols}) & (d < {total}), other=0.0)",
                f"            tl.store(dst_{tag.lower()} + d, x, mask=d < {total})",
            ]
        parts.append(body)
    entry = f"qm_pad_copy_{a_shape[0]}x{a_shape[1]}p{a_pitch}_{b_shape[0]}x{b_shape[1]}p{b_pitch}_b{block}"
    entry += "_wide" if wide else ""
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


def _wide_body(tag: str, rows: int, cols: int, pitch: int, first: int, block: int) -> list[str]:
    """One operand's copy with 16-byte loads: each group of 8 destination elements (one row, as
    the pitch is a multiple of 8) comes from the two aligned 8-element vectors around its
    unaligned source, picked out with ``tl.gather``. Programs whose loads could pass the end of
    the source (the last row's) or whose block is partial use masks; the rest none."""
    total = rows * pitch
    src_total = rows * cols
    # a program is safe when its last destination row is not the source's last: the loads of a
    # row reach at most row * cols + pitch + 7 < (row + 2) * cols
    safe = min(total // block, ((rows - 1) * pitch) // block)
    lines = [
        f"        g = (pid - {first}) * (BLOCK // 8) + tl.arange(0, BLOCK // 8)",
        "        d0 = g * 8",
        f"        row = d0 // {pitch}",
        f"        col0 = d0 - row * {pitch}",
        f"        s = row * {cols} + col0",
        "        q = (s // 8) * 8",
        "        lane16 = tl.arange(0, 16)[None, :]",
        "        lane8 = tl.arange(0, 8)[None, :]",
        f"        if pid - {first} < {safe}:",
        f"            y = tl.load(src_{tag} + q[:, None] + lane16)",
        "        else:",
        f"            y = tl.load(src_{tag} + q[:, None] + lane16, mask=q[:, None] + lane16 < {src_total}, other=0.0)",
        "        x = tl.gather(y, (s - q)[:, None] + lane8, axis=1)",
        f"        x = tl.where(col0[:, None] + lane8 < {cols}, x, 0.0)",
        f"        if pid - {first} < {total // block}:",
        f"            tl.store(dst_{tag} + d0[:, None] + lane8, x)",
        "        else:",
        f"            tl.store(dst_{tag} + d0[:, None] + lane8, x, mask=d0[:, None] + lane8 < {total})",
    ]
    return lines


def lower_unpad_copy(rows: int, cols: int, pitch: int, block: int = 4096, num_warps: int = 4) -> PadCopy:
    """Copy ``src [rows, pitch]`` (only its first ``cols`` columns) into contiguous
    ``dst [rows, cols]``; the kernel's arguments are ``(src, dst)``."""
    if block & (block - 1) or block < 128:
        raise PlanError(f"block={block}; must be a power of two >= 128")
    if pitch < cols or min(rows, cols) < 1:
        raise PlanError(f"pitch {pitch} must be >= cols {cols} >= 1 (rows {rows})")
    if rows * pitch >= 2**31:
        raise PlanError(f"{rows} x {pitch} elements exceed 32-bit indexing")
    total = rows * cols
    full = total // block
    entry = f"qm_unpad_copy_{rows}x{cols}p{pitch}_b{block}"
    lines = [
        "@triton.jit",
        f"def {entry}(src, dst, BLOCK: tl.constexpr):",
        "    d = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)",
        f"    row = d // {cols}",
        f"    col = d - row * {cols}",
        "    # whole blocks store unmasked (16-byte vectors); only the last, partial one is masked",
        f"    if tl.program_id(0) < {full}:",
        f"        tl.store(dst + d, tl.load(src + row * {pitch} + col))",
    ]
    if total % block:
        lines += [
            "    else:",
            f"        x = tl.load(src + row * {pitch} + col, mask=d < {total})",
            f"        tl.store(dst + d, x, mask=d < {total})",
        ]
    source = _HEADER + "\n".join(lines) + "\n"
    ast.parse(source)
    return PadCopy(entry, source, -(-total // block), block, num_warps)
