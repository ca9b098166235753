"""Is a mutant equivalent to its original? A Yosys SAT proof (bounded, then temporal induction).

Used to drop mutants that cannot be killed by any checker, so kill rates count only real bugs.
Both designs start from their declared initial values (others zero), as a reset testbench sees them.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Literal

from tools.errors import ToolMissing
from tools.sandbox import run_sandboxed
from tools.settings import get_settings

Equivalence = Literal["equivalent", "different", "unknown"]

_SCRIPT = """\
read_verilog -sv gold.sv
read_verilog -sv gate.sv
proc; flatten; memory; opt_clean
async2sync; dffunmap
miter -equiv -flatten -make_assert {gold} {gate} miter
hierarchy -top miter
sat -verify -prove-asserts -set-init-zero -tempinduct -maxsteps {steps} miter
"""


def suffix_modules(source: str, suffix: str) -> tuple[str, dict[str, str]]:
    """Rename every module defined in ``source`` to ``<name><suffix>`` (definitions and instances)."""
    names = re.findall(r"\bmodule\s+([A-Za-z_]\w*)", source)
    mapping = {n: n + suffix for n in names}
    for old, new in mapping.items():
        source = re.sub(rf"\b{re.escape(old)}\b", new, source)
    return source, mapping


def prove_equivalent(
    original: str, mutant: str, top: str, *, steps: int = 12, wall_s: float = 10.0
) -> Equivalence:
    """Compare module ``top`` of ``original`` and ``mutant`` with Yosys ``miter`` + ``sat -tempinduct``.

    Returns ``equivalent`` when induction proves every output equal in every reachable state,
    ``different`` when a counterexample is found within ``steps`` cycles, else ``unknown``
    (including sources Yosys cannot read).

    Raises:
        ToolMissing: when yosys is not installed.
    """
    if shutil.which("yosys") is None:
        raise ToolMissing("yosys is not installed; 'apt-get install yosys'")
    gate, mapping = suffix_modules(mutant, "_mutant")
    limits = get_settings().sandbox.model_copy(update={"wall_s": wall_s, "cpu_s": int(wall_s) + 1})
    with tempfile.TemporaryDirectory(prefix="qimeng-equiv-") as tmp:
        work = Path(tmp)
        (work / "gold.sv").write_text(original, encoding="utf-8")
        (work / "gate.sv").write_text(gate, encoding="utf-8")
        script = _SCRIPT.format(gold=top, gate=mapping.get(top, top), steps=steps)
        (work / "equiv.ys").write_text(script, encoding="utf-8")
        res = run_sandboxed(["yosys", "-s", "equiv.ys"], work, limits=limits, env={"TMPDIR": str(work)})
    log = res.stdout + res.stderr
    if "proof did fail" in log:
        return "different"
    if res.ok and re.search(r"Induction step proven: SUCCESS!|^\s*SUCCESS!", log, re.M):
        return "equivalent"
    return "unknown"
