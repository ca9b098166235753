"""The generated testbench that drives one or two designs from one vector file.

Sampling convention (one sample = 10 time units; documented for reference-model authors too):

* ``t+0``: the clock is at its inactive level (low for posedge designs, high for negedge ones);
* ``t+1``: the testbench applies the sample's inputs (including reset);
* ``t+4``: every output of every instance is printed with ``%b`` (x and z survive); this is
  "just before the active edge", so it shows the state from earlier edges combined with the
  current inputs, and an asserted asynchronous reset is already visible;
* ``t+5``: active clock edge (the state update with the inputs of this sample);
* ``t+10``: inactive edge, next sample.

Combinational designs get the same timing without a clock. The reference's modules are renamed
(``name`` -> ``name__qref``) so the candidate and reference can share one compile even when they
use the same module names.
"""

from __future__ import annotations

import re

from tools.hdl.ports import Port, module_names

REF_SUFFIX = "__qref"
TB_TOP = "qimeng_tb"


def rename_modules(source: str, suffix: str = REF_SUFFIX) -> str:
    """Rename every module declared in ``source`` (and its uses there) by appending ``suffix``."""
    names = sorted(set(module_names(source)), key=len, reverse=True)
    if not names:
        return source
    pattern = re.compile(r"(?<![\w$`])(" + "|".join(re.escape(n) for n in names) + r")(?![\w$])")
    return pattern.sub(lambda m: m.group(1) + suffix, source)


def build(
    inputs: list[Port],
    outputs: list[Port],
    instances: list[tuple[str, str]],
    *,
    clock: str | None,
    negedge: bool,
    samples: int,
    both_levels: bool = False,
) -> str:
    """Testbench text.

    Args:
        inputs: driven inputs, packed first-most-significant as in ``Stimulus.to_hex``.
        outputs: outputs printed for each instance, in this order.
        instances: ``(module, instance)`` pairs; each line of the output file holds every
            instance's outputs in this order, separated by spaces.
        clock: clock input name, or None for a combinational design.
        negedge: the design acts on the falling edge.
        samples: the most samples a run may hold (array size); ``+n=`` gives the actual count.
        both_levels: for designs with flip-flops on both edges: print each instance's outputs at
            ``t+4`` and again at ``t+9`` (after the active edge, before the inactive one), so each
            line holds, per instance, the early values then the late ones.

    The run takes plusargs ``+vec=FILE`` (``$readmemh`` input), ``+n=COUNT`` and ``+out=FILE``.
    """
    width = max(1, sum(p.width for p in inputs))
    lines = ["`timescale 1ns/1ns", f"module {TB_TOP};"]
    lines.append(f"  reg [{width - 1}:0] qv_vec [0:{max(samples, 1) - 1}];")
    lines.append("  reg [8*512-1:0] qv_vecfile, qv_outfile;")
    lines.append("  integer qv_i, qv_n, qv_fd;")
    idle, active = ("1'b1", "1'b0") if negedge else ("1'b0", "1'b1")
    if clock:
        lines.append(f"  reg qv_in_{clock};")
    for p in inputs:
        lines.append(f"  reg [{p.width - 1}:0] qv_in_{p.name};")
    for _, inst in instances:
        for p in outputs:
            lines.append(f"  wire [{p.width - 1}:0] qv_{inst}_{p.name};")
            if both_levels:
                lines.append(f"  reg [{p.width - 1}:0] qv_early_{inst}_{p.name};")
    for module, inst in instances:
        conns = [f".{clock}(qv_in_{clock})"] if clock else []
        conns += [f".{p.name}(qv_in_{p.name})" for p in inputs]
        conns += [f".{p.name}(qv_{inst}_{p.name})" for p in outputs]
        lines.append(f"  {module} {inst} (" + ", ".join(conns) + ");")
    packed = "{" + ", ".join(f"qv_in_{p.name}" for p in inputs) + "}" if inputs else ""
    per_instance = 2 * len(outputs) if both_levels else len(outputs)
    fmt = " ".join(" ".join("%b" for _ in range(per_instance)) for _ in instances)
    if both_levels:
        args = ", ".join(
            f"{pre}{inst}_{p.name}" for _, inst in instances for pre in ("qv_early_", "qv_") for p in outputs
        )
        capture = " ".join(
            f"qv_early_{inst}_{p.name} = qv_{inst}_{p.name};" for _, inst in instances for p in outputs
        )
        step = [
            f"      #3 {capture or ';'}",
            f"      #1 {'qv_in_' + clock + ' = ' + active + ';' if clock else ';'}",
            f'      #4 $fdisplay(qv_fd, "{fmt}", {args});' if outputs else "      #4;",
            f"      #1 {'qv_in_' + clock + ' = ' + idle + ';' if clock else ';'}",
        ]
    else:
        args = ", ".join(f"qv_{inst}_{p.name}" for _, inst in instances for p in outputs)
        step = [
            f'      #3 $fdisplay(qv_fd, "{fmt}", {args});' if outputs else "      #3;",
            f"      #1 {'qv_in_' + clock + ' = ' + active + ';' if clock else ';'}",
            f"      #5 {'qv_in_' + clock + ' = ' + idle + ';' if clock else ';'}",
        ]
    lines += [
        "  initial begin",
        f"    {'qv_in_' + clock + ' = ' + idle + ';' if clock else ''}",
        '    if (!$value$plusargs("vec=%s", qv_vecfile)) qv_vecfile = "vectors.hex";',
        '    if (!$value$plusargs("out=%s", qv_outfile)) qv_outfile = "samples.txt";',
        '    if (!$value$plusargs("n=%d", qv_n)) qv_n = 0;',
        "    $readmemh(qv_vecfile, qv_vec);",
        '    qv_fd = $fopen(qv_outfile, "w");',
        "    for (qv_i = 0; qv_i < qv_n; qv_i = qv_i + 1) begin",
        f"      #1 {packed + ' = qv_vec[qv_i];' if inputs else ';'}",
        *step,
        "    end",
        '    $fdisplay(qv_fd, "qimeng-done");',
        "    $fclose(qv_fd);",
        "    $finish;",
        "  end",
        "endmodule",
    ]
    return "\n".join(lines) + "\n"
