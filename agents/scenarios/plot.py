"""The co-design trade-off plot: area (with the budget line) and cycles for each lane count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def plot_tradeoff(rows: list[dict[str, Any]], budget: int, chosen: int | None, path: Path) -> Path:
    """Area (cells, with the budget line) and cycles for each lane count; the choice is marked."""
    rows = sorted(rows, key=lambda r: r["lanes"])
    lanes = [str(r["lanes"]) for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
    colors = [
        "tab:green" if r["lanes"] == chosen else ("tab:red" if not r["within_budget"] else "tab:blue")
        for r in rows
    ]
    ax1.bar(lanes, [r["cells"] for r in rows], color=colors)
    ax1.axhline(budget, color="black", linestyle="--", label=f"budget {budget} cells")
    ax1.set_xlabel("lanes")
    ax1.set_ylabel("area (Yosys cells)")
    ax1.legend()
    ax2.bar(lanes, [r["cycles"] for r in rows], color=colors)
    ax2.set_xlabel("lanes")
    ax2.set_ylabel("GEMM cycles")
    title = f"chosen: {chosen} lanes" if chosen is not None else "nothing fits the budget"
    fig.suptitle(f"dot-product accelerator trade-off ({title}; green = chosen, red = over budget)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
