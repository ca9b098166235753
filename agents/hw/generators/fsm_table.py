"""Moore state machines given as a state diagram or a state-transition table in the text.

Two notations are read: edge lists (``A (0) --1--> B``, ``OFF (out=0) --j=1--> ON``) and tables
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
    outputs: tuple[str, ...] = Field((), description="1-bit Moore outputs.")
    state_outputs: tuple[tuple[int, ...], ...] = Field((), description="Per state, each output's value.")
    transitions: tuple[tuple[str, Cond, str], ...] = Field(
        (), description="(from, ((input, value), ...), to): taken when every listed input has its value."
    )

    @model_validator(mode="after")
    def _complete(self) -> FsmTableParams:
        if not self.states:
            raise ValueError("no state diagram or state-transition table was read from the text")
        if self.reset_state not in self.states:
            raise ValueError(f"the reset state '{self.reset_state}' is not one of {', '.join(self.states)}")
        Machine(
            list(self.states),
            list(self.inputs),
            list(self.outputs),
            dict(zip(self.states, self.state_outputs, strict=True)),
            list(self.transitions),
        ).check()
        return self


def _ports(p: FsmTableParams) -> list[Port]:
    return [*clock_ports(p), *(inp(n) for n in p.inputs), *(out(o) for o in p.outputs)]


def _cond(conds: Cond) -> str:
    return " && ".join(f"{name} == 1'b{value}" for name, value in conds) or "1'b1"


def _rtl(p: FsmTableParams, module: str) -> str:
    bits = clog2(len(p.states))
    code = {s: k for k, s in enumerate(p.states)}
    arms = []
    for s in p.states:
        lines = [f"if ({_cond(c)}) next = {bits}'d{code[t]};" for f, c, t in p.transitions if f == s]
        arms.append(
            f"            {bits}'d{code[s]}: begin\n                "
            + "\n                ".join(lines)
            + "\n            end"
        )
    outs = []
    for k, o in enumerate(p.outputs):
        on = [
            f"state == {bits}'d{code[s]}"
            for s, vals in zip(p.states, p.state_outputs, strict=True)
            if vals[k]
        ]
        outs.append(f"    assign {o} = {' || '.join(on) if on else chr(48)};")
    case = "\n".join(arms)
    return f"""module {module} (
    {decls(_ports(p))}
);
    reg [{bits - 1}:0] state, next;
    always @(*) begin
        next = state;
        case (state)
{case}
            default: next = {bits}'bx;  // only before the first reset
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
    table = {s: dict(zip(p.outputs, v, strict=True)) for s, v in zip(p.states, p.state_outputs, strict=True)}
    return (
        SEQ_HEAD
        + f"""
    _RESET = {p.reset_state!r}
    _OUT = {table!r}
    _EDGES = {list(p.transitions)!r}

    def reset(self) -> None:
        self.state = self._RESET

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return dict(self._OUT[self.state])

    def clock(self, ins: dict[str, int]) -> None:
        for start, conds, target in self._EDGES:
            if start == self.state and all(ins[n] & 1 == v for n, v in conds):
                self.state = target
                return
"""
    )


_RESET_STATE = (
    r"\breset(?:s|ting)?\s+(?:the\s+(?:fsm|machine)\s+)?(?:in)?to\s+(?:the\s+)?(?:state\s+)?([A-Za-z_]\w*)",
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
    moore = re.search(r"\bmoore\b", text, re.I)
    if moore:
        found.note("machine", "Moore", moore.group(0))
    if re.search(r"\bmealy\b", text, re.I):
        found.lack("a Moore machine (Mealy outputs are not read from diagrams offline)")
        return found
    machine, words, problem = read_machine(text)
    if machine is None:
        found.lack(problem or "a state diagram ('A (0) --1--> B') or a state-transition table")
        return found
    try:
        machine.check()
    except ValueError as exc:
        found.lack(f"a complete machine ({exc})")
        return found
    for pat in _RESET_STATE:
        m = re.search(pat, text, re.I)
        if m and m.group(1) in machine.states:
            found.put("reset_state", m.group(1), m.group(0))
            break
    else:
        found.lack("the reset state (e.g. 'reset to state A')")
    found.put("states", tuple(machine.states), words)
    found.put("inputs", tuple(machine.inputs), words)
    found.put("outputs", tuple(machine.outputs), words)
    found.put("state_outputs", tuple(tuple(machine.moore[s]) for s in machine.states), words)
    found.put("transitions", tuple(machine.transitions), words)
    return found


FSM_TABLE = Generator(
    name="fsm_table",
    summary="Moore state machine from a state diagram (A (0) --1--> B) or a transition table in the text",
    params=FsmTableParams,
    keywords=(
        r"state[\s-]*(?:transition\s+)?(?:diagram|table)",
        r"\bstate machine\b",
        r"\bmoore\s+machine\b",
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
