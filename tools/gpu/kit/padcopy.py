"""One Triton launch that copies both GEMM operands into their padded buffers (and one that copies
a padded result back out).

An odd GEMM shape (K or N not a multiple of 8) has rows that start at 2-byte boundaries, which
neither TMA nor 16-byte loads accept, so the operands are first copied into buffers whose row
pitch is a multiple of 8 elements. ``torch``'s strided ``copy_`` does that at about 1.6 TB/s on
an H200 (two copies, 84 us). This kernel walks the *destination* of both copies as one flat
range (the programs of A first, then those of B), so every store is a contiguous, 16-byte
aligned vector; each element's source address is computed from its row and column (2-byte
loads, since the source rows are unaligned): 36.6 us, 3.7 TB/s (``kit.probe``). The pad columns
are written with zeros on every call, so the buffers need no clearing; only a partial last block
is masked. :func:`lower_unpad_copy` is the way back: a result computed into a padded buffer (so
that its stores are aligned) is copied into the real, unaligned output, again walking the
destination (22 us for 4097 x 4095, torch 40 us). ``lanes`` variants (lane-ordered accesses and
a transpose through shared memory) were measured no faster. Standard library only.
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
    num_warps: int = 4, lanes: bool = False, pdl: bool = False,
) -> PadCopy:  # fmt: skip
    """Copy contiguous ``a [rows, cols]`` into rows of pitch ``a_pitch`` (and ``b`` likewise);
    the kernel's arguments are ``(a, padded_a, b, padded_b)``. ``lanes``: see :func:`_lanes_body`
    (else each thread loads its own 8 destination elements, 2 bytes at a time). ``pdl``: each
    program lets a dependent kernel (the GEMM, launched with programmatic dependent launch)
    start early; that kernel waits for this one's results itself."""
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
        if lanes:
            if pitch % 8:
                raise PlanError(f"operand {tag}: lane-ordered loads need pitch % 8 == 0, got {pitch}")
            parts.append(_lanes_body(tag.lower(), rows, cols, pitch, first, block))
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
    entry += "_lanes" if lanes else ""
    entry += "_pdl" if pdl else ""
    lines = [
        "@triton.jit",
        f"def {entry}(src_a, dst_a, src_b, dst_b, BLOCK: tl.constexpr):",
        *(["    tl.extra.cuda.gdc_launch_dependents()"] if pdl else []),
        "    pid = tl.program_id(0)",
        f"    if pid < {progs[0]}:",
        *parts[0],
        "    else:",
        *parts[1],
    ]
    source = _HEADER + "\n".join(lines) + "\n"
    ast.parse(source)
    return PadCopy(entry, source, progs[0] + progs[1], block, num_warps)


def _lanes_body(tag: str, rows: int, cols: int, pitch: int, first: int, block: int) -> list[str]:
    """One operand's copy with lane-ordered loads: the 8 elements of each destination group
    (one row, as the pitch is a multiple of 8) are loaded as a column of an [8, groups] tile,
    so consecutive lanes read consecutive source elements (64 bytes a warp instruction); a
    transpose through shared memory then gives each thread 8 contiguous elements to store as
    one 16-byte vector."""
    total = rows * pitch
    lines = [
        f"        g = (pid - {first}) * (BLOCK // 8) + tl.arange(0, BLOCK // 8)",
        "        d0 = g * 8",
        f"        row = d0 // {pitch}",
        f"        col0 = d0 - row * {pitch}",
        f"        s = row * {cols} + col0",
        "        lane = tl.arange(0, 8)",
        f"        inside = col0[None, :] + lane[:, None] < {cols}",
        f"        if pid - {first} < {total // block}:",
        f"            y = tl.load(src_{tag} + s[None, :] + lane[:, None], mask=inside, other=0.0)",
        f"            tl.store(dst_{tag} + d0[:, None] + lane[None, :], tl.trans(y))",
        "        else:",
        f"            inside = inside & (row[None, :] < {rows})",
        f"            y = tl.load(src_{tag} + s[None, :] + lane[:, None], mask=inside, other=0.0)",
        f"            tl.store(dst_{tag} + d0[:, None] + lane[None, :], tl.trans(y), mask=d0[:, None] + lane[None, :] < {total})",
    ]
    return lines


def lower_unpad_copy(
    rows: int, cols: int, pitch: int, block: int = 4096, num_warps: int = 4, lanes: bool = False,
    pdl: bool = False,
) -> PadCopy:  # fmt: skip
    """Copy ``src [rows, pitch]`` (only its first ``cols`` columns) into contiguous
    ``dst [rows, cols]``; the kernel's arguments are ``(src, dst)``. ``lanes``: walk the
    (aligned) source in groups of 8 with 16-byte loads and store lane-ordered (:func:`_unpad_lanes`).
    ``pdl``: launched as a programmatic dependent launch, each program first waits for the
    kernel before it (the GEMM) to finish and its writes to be visible."""
    if block & (block - 1) or block < 128:
        raise PlanError(f"block={block}; must be a power of two >= 128")
    if pitch < cols or min(rows, cols) < 1:
        raise PlanError(f"pitch {pitch} must be >= cols {cols} >= 1 (rows {rows})")
    if rows * pitch >= 2**31:
        raise PlanError(f"{rows} x {pitch} elements exceed 32-bit indexing")
    if lanes:
        if pdl:
            raise PlanError("lane-ordered unpad copies have no pdl form")
        return _unpad_lanes(rows, cols, pitch, block, num_warps)
    total = rows * cols
    full = total // block
    entry = f"qm_unpad_copy_{rows}x{cols}p{pitch}_b{block}" + ("_pdl" if pdl else "")
    lines = [
        "@triton.jit",
        f"def {entry}(src, dst, BLOCK: tl.constexpr):",
        *(["    tl.extra.cuda.gdc_wait()"] if pdl else []),
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


def _unpad_lanes(rows: int, cols: int, pitch: int, block: int, num_warps: int) -> PadCopy:
    if pitch % 8:
        raise PlanError(f"lane-ordered unpad needs pitch % 8 == 0, got {pitch}")
    total = rows * pitch
    entry = f"qm_unpad_copy_{rows}x{cols}p{pitch}_b{block}_lanes"
    lines = [
        "@triton.jit",
        f"def {entry}(src, dst, BLOCK: tl.constexpr):",
        "    g = tl.program_id(0) * (BLOCK // 8) + tl.arange(0, BLOCK // 8)",
        "    e0 = g * 8",
        f"    row = e0 // {pitch}",
        f"    col0 = e0 - row * {pitch}",
        "    lane = tl.arange(0, 8)",
        f"    inside = col0[None, :] + lane[:, None] < {cols}",
        f"    t = row * {cols} + col0",
        f"    if tl.program_id(0) < {total // block}:",
        "        x = tl.load(src + e0[:, None] + lane[None, :])",
        "    else:",
        f"        x = tl.load(src + e0[:, None] + lane[None, :], mask=e0[:, None] + lane[None, :] < {total})",
        f"        inside = inside & (row[None, :] < {rows})",
        "    tl.store(dst + t[None, :] + lane[:, None], tl.trans(x), mask=inside)",
    ]
    source = _HEADER + "\n".join(lines) + "\n"
    ast.parse(source)
    return PadCopy(entry, source, -(-total // block), block, num_warps)
