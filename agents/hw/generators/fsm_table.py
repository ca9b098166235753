"""State machines given as a state diagram or a state-transition table in the text.

Three notations are read: Moore edge lists (``A (0) --1--> B``, ``OFF (out=0) --j=1--> ON``),
Mealy edge lists (``A --1/0--> B``, ``S0 --x=1/z=1--> S1``) and Moore tables
(``A | A, B | 0`` under a header ``state | next state in=0, next state in=1 | output``). The reset
state must be named in the text. Every state must have exactly one next state for every value of
the inputs; a machine that leaves a case open (or gives two answers) is refused, never completed.
"""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from agents.hw.generators._base import (
    SEQ_HEAD,
    Found,
    Generator,
    SeqParams,
    always_ff,
    clock_ports,
    clog2,
    decls,
    inp,
    out,
    read_reset,
    reset_active,
)
from agents.hw.generators._fsm_text import Machine, read_machine
from agents.hw.interface import Port

Cond = tuple[tuple[str, int], ...]


class FsmTableParams(SeqParams):
    states: tuple[str, ...] = Field((), description="State names, in the order the text gives them.")
    reset_state: str = Field("", description="State entered on reset (must be named in the text).")
    inputs: tuple[str, ...] = Field((), description="1-bit inputs the transitions test.")
    outputs: tuple[str, ...] = Field((), description="1-bit outputs.")
    mealy: bool = Field(False, description="Outputs belong to transitions (Mealy), else to states (Moore).")
    state_outputs: tuple[tuple[int, ...], ...] = Field(
        (), description="Moore: per state, each output's value."
    )
    edge_outputs: tuple[tuple[int, ...], ...] = Field(
        (), description="Mealy: per transition, each output's value while it is enabled."
    )
    transitions: tuple[tuple[str, Cond, str], ...] = Field(
        (), description="(from, ((input, value), ...), to): taken when every listed input has its value."
    )

    @model_validator(mode="after")
    def _complete(self) -> FsmTableParams:
        if not self.states:
            raise ValueError("no state diagram or state-transition table was read from the text")
        if self.reset_state not in self.states:
            raise ValueError(f"the reset state '{self.reset_state}' is not one of {', '.join(self.states)}")
        if not self.mealy and len(self.state_outputs) != len(self.states):
            raise ValueError("a Moore machine needs outputs for every state")
        Machine(
            list(self.states),
            list(self.inputs),
            list(self.outputs),
            {} if self.mealy else dict(zip(self.states, self.state_outputs, strict=True)),
            list(self.transitions),
            list(self.edge_outputs),
            self.mealy,
        ).check()
        return self


def _ports(p: FsmTableParams) -> list[Port]:
    return [*clock_ports(p), *(inp(n) for n in p.inputs), *(out(o) for o in p.outputs)]


def _cond(conds: Cond) -> str:
    return " && ".join(f"{name} == 1'b{value}" for name, value in conds) or "1'b1"


def _drive(p: FsmTableParams, k: int) -> str:
    """Mealy: the output assignments of transition ``k``."""
    if not p.mealy:
        return ""
    return "".join(f" {o} = 1'b{v};" for o, v in zip(p.outputs, p.edge_outputs[k], strict=True))


def _drive_default(p: FsmTableParams) -> str:
    return "".join(f"\n        {o} = 1'b0;" for o in p.outputs) if p.mealy else ""


def _drive_unknown(p: FsmTableParams) -> str:
    return "".join(f" {o} = 1'bx;" for o in p.outputs) if p.mealy else ""


def _rtl(p: FsmTableParams, module: str) -> str:
    bits = clog2(len(p.states))
    code = {s: k for k, s in enumerate(p.states)}
    arms = []
    for s in p.states:
        lines = [
            f"if ({_cond(c)}) begin next = {bits}'d{code[t]};{_drive(p, k)} end"
            for k, (f, c, t) in enumerate(p.transitions)
            if f == s
        ]
        arms.append(
            f"            {bits}'d{code[s]}: begin\n                "
            + "\n                ".join(lines)
            + "\n            end"
        )
    outs = []
    for k, o in enumerate(p.outputs if not p.mealy else ()):
        on = [
            f"state == {bits}'d{code[s]}"
            for s, vals in zip(p.states, p.state_outputs, strict=True)
            if vals[k]
        ]
        outs.append(f"    assign {o} = {' || '.join(on) if on else chr(48)};")
    case = "\n".join(arms)
    return f"""module {module} (
    {decls(_ports(p), p.outputs if p.mealy else ())}
);
    reg [{bits - 1}:0] state, next;
    always @(*) begin
        next = state;{_drive_default(p)}
        case (state)
{case}
            default: begin  // only before the first reset
                next = {bits}'bx;{_drive_unknown(p)}
            end
        endcase
    end
    {always_ff(p)} begin
        if ({reset_active(p)}) state <= {bits}'d{code[p.reset_state]};
        else state <= next;
    end
{chr(10).join(outs)}
endmodule
"""


def _model(p: FsmTableParams) -> str:
    table = {s: dict(zip(p.outputs, v, strict=True)) for s, v in zip(p.states, p.state_outputs, strict=False)}
    said = [dict(zip(p.outputs, v, strict=True)) for v in p.edge_outputs]
    return (
        SEQ_HEAD
        + f"""
    _RESET = {p.reset_state!r}
    _OUT = {table!r}
    _EDGES = {list(p.transitions)!r}
    _SAID = {said!r}  # Mealy: outputs of each transition

    def reset(self) -> None:
        self.state = self._RESET

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        if not self._SAID:
            return dict(self._OUT[self.state])
        for (start, conds, _), said in zip(self._EDGES, self._SAID):
            if start == self.state and all(ins[n] & 1 == v for n, v in conds):
                return dict(said)
        return {{o: 0 for o in {list(p.outputs)!r}}}

    def clock(self, ins: dict[str, int]) -> None:
        for start, conds, target in self._EDGES:
            if start == self.state and all(ins[n] & 1 == v for n, v in conds):
                self.state = target
                return
"""
    )


_RESET_STATE = (
    r"\breset(?:s|ting)?\s+(?:\([^)]*\)\s+)?(?:the\s+(?:fsm|machine)\s+)?(?:in)?to\s+(?:the\s+)?(?:state\s+)?([A-Za-z_]\w*)",
    r"\breset\s+state\s+(?:is|called|named|=)\s+([A-Za-z_]\w*)",
    r"(?<!after\s)\breset\s+(?:puts|sends|brings|takes|returns|forces)\s+(?:it|the\s+(?:fsm|machine))\s+"
    r"(?:in)?to\s+(?:the\s+)?(?:state\s+)?([A-Za-z_]\w*)",
    r"\b(?:on|upon|during|at)\s+reset,?\s+(?:it|the\s+(?:fsm|machine))\s+(?:goes|returns|enters|is\s+put)\s+"
    r"(?:in)?to\s+(?:the\s+)?(?:state\s+)?([A-Za-z_]\w*)",
    r"\bbegins\s+in\s+a\s+reset\s+state\s+called\s+([A-Za-z_]\w*)",
)


def _extract(text: str) -> Found:
    found = Found()
    read_reset(found, text)
    machine, words, problem = read_machine(text)
    if machine is None:
        found.lack(problem or "a state diagram ('A (0) --1--> B') or a state-transition table")
        return found
    kind = "Mealy" if machine.mealy else "Moore"
    said = {m.group(0).capitalize() for m in re.finditer(r"\b(?:moore|mealy)\b", text, re.I)}
    if said - {kind}:
        found.lack(f"a {', '.join(sorted(said))} machine drawn as one (the diagram is {kind}-style)")
        return found
    if said:
        found.note(
            "machine", kind, " | ".join(m.group(0) for m in re.finditer(r"\b(?:moore|mealy)\b", text, re.I))
        )
    try:
        machine.check()
    except ValueError as exc:
        found.lack(f"a complete machine ({exc})")
        return found
    named = [m for pat in _RESET_STATE for m in re.finditer(pat, text, re.I) if m.group(1) in machine.states]
    targets = sorted({m.group(1) for m in named})
    if len(targets) == 1:
        found.put("reset_state", targets[0], " | ".join(m.group(0) for m in named))
    elif targets:
        found.lack(f"one reset state (the text names {', '.join(targets)})")
    else:
        found.lack("the reset state (e.g. 'reset to state A')")
    found.put("states", tuple(machine.states), words)
    found.put("inputs", tuple(machine.inputs), words)
    found.put("outputs", tuple(machine.outputs), words)
    found.put("mealy", machine.mealy, words)
    if machine.mealy:
        found.put("edge_outputs", tuple(machine.edge_out), words)
    else:
        found.put("state_outputs", tuple(tuple(machine.moore[s]) for s in machine.states), words)
    found.put("transitions", tuple(machine.transitions), words)
    return found


FSM_TABLE = Generator(
    name="fsm_table",
    summary="Moore or Mealy machine from a state diagram (A (0) --1--> B, A --1/0--> B) or a transition table",
    params=FsmTableParams,
    keywords=(
        r"state[\s-]*(?:transition\s+)?(?:diagram|table)",
        r"\bstate machine\b",
        r"\b(?:moore|mealy)\s+machine\b",
        r"\bnext\s+state\s+\w+\s*=",
        r"--[\w=,\s]*-->",
    ),
    extract=_extract,
    ports=_ports,
    rtl=_rtl,
    model=_model,
    required=("states", "reset_state", "transitions"),
    positional=("in", "out"),
)
