"""Waveforms around the first mismatch of a differential check: reference and candidate side by side.

The differential checker (:mod:`tools.hdl.diffcheck`) samples every output once per sample, as
:mod:`tools.hdl.testbench` documents (inputs applied at ``t+1``, outputs sampled at ``t+4``, the
active clock edge at ``t+5``; 10 time units a sample). :func:`capture` keeps the samples of the run
with the earliest mismatch, a few before and after it, as a :class:`WaveWindow` (JSON, so it travels
with the check's evidence). From it come: :func:`to_text` (the table an LLM repair prompt gets),
:func:`to_vcd` (a VCD of the sampled values, one change per sample, ``ref.<out>`` beside
``cand.<out>`` and a ``mismatch.<out>`` flag) and :func:`render_png` (a matplotlib picture).
The VCD holds the values the checker compared, not every event inside a sample.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

if TYPE_CHECKING:  # report.py carries a WaveWindow; these are only named in signatures here
    from tools.hdl.ports import Port
    from tools.hdl.report import Mismatch
    from tools.hdl.stimulus import Stimulus

BEFORE = 8
"""Samples kept before the first mismatch."""
AFTER = 4
"""Samples kept after it."""


class WaveSignal(BaseModel):
    """One signal of the window."""

    name: str = Field(description="Port name (an output appears once as reference, once as candidate).")
    width: int = Field(description="Width in bits.")
    role: str = Field(description="'input', 'ref' (reference output) or 'cand' (candidate output).")


class WaveWindow(BaseModel):
    """The samples of one run around its first mismatch."""

    where: str = Field(
        description="The first mismatch's place in words (seed, sequence, cycle, reset pattern)."
    )
    first: int = Field(description="Sample index (within its run) of the first mismatch.")
    start: int = Field(description="Sample index of the window's first row.")
    clock: str | None = Field(None, description="Clock input (None: combinational).")
    inputs: list[WaveSignal] = Field(default_factory=list, description="Driven inputs, in port order.")
    outputs: list[WaveSignal] = Field(default_factory=list, description="Compared outputs, in port order.")
    rows: list[dict[str, str]] = Field(
        default_factory=list,
        description="Per sample: input name -> binary value, 'ref:<out>' and 'cand:<out>' -> binary value.",
    )
    unchecked: list[int] = Field(
        default_factory=list,
        description="Sample indices before the run's first reset where a candidate x was not compared.",
    )

    def mismatching(self, k: int, output: str) -> bool:
        """Whether ``output`` differs from a defined reference bit in the window's ``k``-th row."""
        row = self.rows[k]
        cand = row[f"cand:{output}"]
        if self.start + k in self.unchecked and ("x" in cand or "z" in cand):
            return False
        return differs(row[f"ref:{output}"], cand)


def differs(expected: str, got: str) -> bool:
    """The checker's rule: a defined (0/1) reference bit the candidate does not match."""
    if len(expected) != len(got):
        return True
    return any(e in "01" and g != e for e, g in zip(expected.lower(), got.lower(), strict=True))


def capture(
    inputs: list[Port],
    outputs: list[Port],
    runs: Sequence[tuple[Stimulus, list[list[str]], list[list[str]]]],
    mismatches: list[Mismatch],
    clock: str | None,
    unreset_x_ok: bool = False,
    before: int = BEFORE,
    after: int = AFTER,
) -> WaveWindow | None:
    """The window around the earliest of ``mismatches`` (first run, then first sample) in ``runs``,
    the ``(stimulus, expected rows, candidate rows)`` the checker compared; None when none is found.
    ``unreset_x_ok`` as for :func:`tools.hdl.compare.compare` (candidate x before reset not compared)."""
    for stim, expected, got in runs:
        firsts = [m.sample for m in mismatches if m.sample < len(got) and stim.where(m.sample) == m.where]
        if not firsts:
            continue
        first = min(firsts)
        lo, hi = max(0, first - before), min(len(got), first + after + 1)
        rows = []
        for i in range(lo, hi):
            row = {p.name: format(stim.samples[i].get(p.name, 0), f"0{p.width}b") for p in inputs}
            for k, p in enumerate(outputs):
                row[f"ref:{p.name}"], row[f"cand:{p.name}"] = expected[i][k].lower(), got[i][k].lower()
            rows.append(row)
        return WaveWindow(
            where=stim.where(first),
            first=first,
            start=lo,
            clock=clock,
            inputs=[WaveSignal(name=p.name, width=p.width, role="input") for p in inputs],
            outputs=[WaveSignal(name=p.name, width=p.width, role="ref") for p in outputs],
            rows=rows,
            unchecked=[i for i in range(lo, hi) if unreset_x_ok and stim.before_reset[i]],
        )
    return None


def _word(bits: str) -> str:
    """A binary word as hex when fully defined and wider than 4 bits, else as it is."""
    if len(bits) > 4 and set(bits) <= {"0", "1"}:
        return "0x" + format(int(bits, 2), f"0{(len(bits) + 3) // 4}x")
    return bits


def to_text(window: WaveWindow) -> str:
    """A table of the window for a prompt or a terminal: one line per sample, reference/candidate
    per output, '<-' on samples where some output differs."""
    names = [s.name for s in window.inputs]
    head = ["sample", *names, *(f"{o.name} ref/cand" for o in window.outputs)]
    lines = [
        f"Waveform around the first mismatch ({window.where}); outputs sampled before the active edge"
        + (f" of '{window.clock}'" if window.clock else ""),
        " | ".join(head),
    ]
    for k, row in enumerate(window.rows):
        cells = [str(window.start + k), *(_word(row[n]) for n in names)]
        cells += [f"{_word(row['ref:' + o.name])}/{_word(row['cand:' + o.name])}" for o in window.outputs]
        bad = any(window.mismatching(k, o.name) for o in window.outputs)
        lines.append(" | ".join(cells) + ("  <- differs" if bad else ""))
    return "\n".join(lines)


def _vcd_id(n: int) -> str:
    chars = [chr(c) for c in range(33, 127)]
    out = ""
    while True:
        out = chars[n % len(chars)] + out
        n = n // len(chars) - 1
        if n < 0:
            return out


def _vcd_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_") or "signal"


def to_vcd(window: WaveWindow, timescale: str = "1ns") -> str:
    """A VCD of the window: ``in.<input>``, ``ref.<out>``, ``cand.<out>`` and a 1-bit
    ``mismatch.<out>``; a reconstructed clock when the design has one. Times are the checker's
    (10 per sample): inputs change at ``t+1``, outputs at ``t+4``, the active edge at ``t+5``."""
    sigs: list[tuple[str, str, int, str]] = []  # (scope, name, width, key)
    if window.clock:
        sigs.append(("in", window.clock, 1, "__clock__"))
    sigs += [("in", s.name, s.width, s.name) for s in window.inputs]
    for o in window.outputs:
        sigs += [("ref", o.name, o.width, f"ref:{o.name}"), ("cand", o.name, o.width, f"cand:{o.name}")]
        sigs.append(("mismatch", o.name, 1, f"mismatch:{o.name}"))
    ids = {key: _vcd_id(i) for i, (_, _, _, key) in enumerate(sigs)}
    out = [f"$comment qimeng differential check, {window.where} $end", f"$timescale {timescale} $end"]
    out.append("$scope module check $end")
    for scope in ("in", "ref", "cand", "mismatch"):
        mine = [s for s in sigs if s[0] == scope]
        if mine:
            out.append(f"$scope module {scope} $end")
            out += [f"$var wire {w} {ids[k]} {_vcd_name(n)} $end" for _, n, w, k in mine]
            out.append("$upscope $end")
    out += ["$upscope $end", "$enddefinitions $end"]

    def value(key: str, width: int, bits: str) -> str:
        return f"{bits}{ids[key]}" if width == 1 else f"b{bits} {ids[key]}"

    last: dict[str, str] = {}
    for k, row in enumerate(window.rows):
        t = (window.start + k) * 10
        changes: dict[int, list[str]] = {t: [], t + 1: [], t + 4: [], t + 5: []}
        if window.clock:
            changes[t].append(value("__clock__", 1, "0"))
            changes[t + 5].append(value("__clock__", 1, "1"))
        for s in window.inputs:
            if last.get(s.name) != row[s.name]:
                changes[t + 1].append(value(s.name, s.width, row[s.name]))
        for o in window.outputs:
            flag = "1" if window.mismatching(k, o.name) else "0"
            for key, bits, width in (
                (f"ref:{o.name}", row[f"ref:{o.name}"], o.width),
                (f"cand:{o.name}", row[f"cand:{o.name}"], o.width),
                (f"mismatch:{o.name}", flag, 1),
            ):
                if last.get(key) != bits:
                    changes[t + 4].append(value(key, width, bits))
                    last[key] = bits
        for s in window.inputs:
            last[s.name] = row[s.name]
        for when in sorted(changes):
            if changes[when]:
                out.append(f"#{when}")
                out += changes[when]
    out.append(f"#{(window.start + len(window.rows)) * 10}")
    return "\n".join(out) + "\n"


def render_png(window: WaveWindow, path: Path) -> Path:
    """Draw the window (inputs, then each output's reference and candidate rows; differing samples
    in red, the first mismatch marked) into ``path`` and return it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lanes: list[tuple[str, str, int]] = [(s.name, s.name, s.width) for s in window.inputs]
    for o in window.outputs:
        lanes += [(f"ref {o.name}", f"ref:{o.name}", o.width), (f"cand {o.name}", f"cand:{o.name}", o.width)]
    n = len(window.rows)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * n + 2.5), 0.5 * len(lanes) + 1.2))
    for lane, (_, key, width) in enumerate(lanes):
        y = len(lanes) - 1 - lane
        output = key.split(":", 1)[1] if ":" in key else None
        for k, row in enumerate(window.rows):
            x = window.start + k
            bad = output is not None and window.mismatching(k, output)
            color = "#d62728" if bad else ("#1f77b4" if key.startswith("cand:") else "#2ca02c")
            bits = row[key]
            if width == 1:
                level = 0.7 if bits == "1" else 0.1
                ax.plot([x, x + 1], [y + level, y + level], color=color, lw=2)
                prev = window.rows[k - 1][key] if k else bits
                if prev != bits:
                    ax.plot([x, x], [y + 0.1, y + 0.7], color=color, lw=1)
            else:
                ax.fill_between([x + 0.05, x + 0.95], y + 0.1, y + 0.7, color=color, alpha=0.15)
                ax.text(x + 0.5, y + 0.4, _word(bits), ha="center", va="center", fontsize=7, color=color)
    ax.axvline(window.first, color="#d62728", ls="--", lw=1)
    ax.set_yticks([len(lanes) - 1 - i + 0.4 for i in range(len(lanes))])
    ax.set_yticklabels([label for label, _, _ in lanes], fontsize=8)
    ax.set_xlim(window.start, window.start + n)
    ax.set_xlabel("sample (10 time units each; outputs sampled before the active edge)")
    ax.set_title(f"first mismatch: {window.where}", fontsize=9)
    for spine in ("top", "right", "left"):
        ax.spines[spine].set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(window: WaveWindow, folder: Path, stem: str = "mismatch") -> tuple[Path, Path]:
    """Write ``<stem>.vcd`` and ``<stem>.png`` of ``window`` into ``folder``; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    vcd = folder / f"{stem}.vcd"
    vcd.write_text(to_vcd(window), encoding="utf-8")
    return vcd, render_png(window, folder / f"{stem}.png")


def window_of(details: dict[str, object]) -> WaveWindow | None:
    """The window a diffsim check's ``details`` carry (see ``DiffReport.to_check``), if any."""
    raw = details.get("window")
    return WaveWindow.model_validate(raw) if isinstance(raw, dict) else None


def save_windows(checks: Sequence[tuple[str, dict[str, object]]], folder: Path) -> list[tuple[Path, Path]]:
    """For each ``(label, check details)`` whose details carry a window, write ``<label>.vcd`` and
    ``<label>.png`` into ``folder`` (labels are made file-safe); return the written pairs."""
    written = []
    for label, details in checks:
        window = window_of(details)
        if window is not None:
            written.append(write(window, folder, re.sub(r"[^A-Za-z0-9_.-]", "_", label).lstrip(".")))
    return written
