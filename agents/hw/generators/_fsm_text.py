"""Reading a Moore machine from a request: an edge list (``A (0) --1--> B``,
``OFF (out=0) --j=1--> ON``) or a state-transition table (``A | A, B | 0`` under a header that
names ``next state in=0, next state in=1``). :meth:`Machine.check` refuses an incomplete machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product

Cond = tuple[tuple[str, int], ...]

_NAME = r"[A-Za-z_]\w*"
_EDGE = re.compile(
    rf"^\s*({_NAME})\s*\(([^)]*)\)\s*-+\s*([^->]*?)\s*-*->\s*({_NAME})\s*$",
    re.M,
)
_MEALY_EDGE = re.compile(rf"^\s*({_NAME})\s*-+\s*([^-/>]*?)\s*/\s*([^-/>]*?)\s*-*->\s*({_NAME})\s*$", re.M)
_NEXT_HEADER = re.compile(r"next\s+state\s*,?\s*(?:if\s+)?(" + _NAME + r")\s*=\s*([01])", re.I)
_TABLE_ROW = re.compile(rf"^\s*({_NAME})\s*\|\s*({_NAME}(?:\s*,\s*{_NAME})*)\s*\|\s*([01])\s*\|?\s*$", re.M)


@dataclass
class Machine:
    """States, 1-bit inputs and outputs, guarded transitions, and the outputs: per state (Moore)
    or per transition (Mealy, ``edge_out[k]`` belongs to ``transitions[k]``)."""

    states: list[str]
    inputs: list[str]
    outputs: list[str]
    moore: dict[str, tuple[int, ...]]
    transitions: list[tuple[str, Cond, str]]
    edge_out: list[tuple[int, ...]] = field(default_factory=list)
    mealy: bool = False

    def check(self) -> None:
        """ValueError unless every state has one output value per output and exactly one next
        state for every combination of the inputs."""
        if self.mealy and (
            len(self.edge_out) != len(self.transitions)
            or any(len(v) != len(self.outputs) for v in self.edge_out)
        ):
            raise ValueError("a transition has no value for every output")
        for s in self.states if not self.mealy else []:
            if len(self.moore.get(s, ())) != len(self.outputs):
                raise ValueError(f"state {s} has no value for every output")
        for f, conds, t in self.transitions:
            if f not in self.states or t not in self.states:
                raise ValueError(f"transition {f} -> {t} names an unknown state")
            if any(n not in self.inputs for n, _ in conds):
                raise ValueError(f"transition {f} -> {t} tests an unknown input")
        for s in self.states:
            edges = [(c, t) for f, c, t in self.transitions if f == s]
            for values in product((0, 1), repeat=len(self.inputs)):
                ins = dict(zip(self.inputs, values, strict=True))
                hits = {t for c, t in edges if all(ins[n] == v for n, v in c)}
                if len(hits) != 1:
                    what = "no next state" if not hits else f"next states {', '.join(sorted(hits))}"
                    shown = ", ".join(f"{n}={v}" for n, v in ins.items())
                    raise ValueError(f"state {s} with {shown} has {what}")


def _values(part: str) -> tuple[list[str] | None, list[int]] | None:
    """'0' / '1' / 'out=1' / 'x=0, y=1' -> (names or None, values); None when unreadable."""
    items = [x.strip() for x in part.split(",") if x.strip()]
    if all(re.fullmatch(r"[01]", x) for x in items):
        return None, [int(x) for x in items]
    pairs = [re.fullmatch(rf"({_NAME})\s*=\s*([01])", x) for x in items]
    if items and all(pairs):
        return [m.group(1) for m in pairs if m], [int(m.group(2)) for m in pairs if m]
    return None


def _edges(text: str) -> tuple[Machine | None, str, str | None]:
    hits = list(_EDGE.finditer(text))
    if not hits:
        return None, "", None
    states: list[str] = []
    moore: dict[str, tuple[int, ...]] = {}
    out_names: list[str] | None = None
    inputs: list[str] = []
    transitions: list[tuple[str, Cond, str]] = []
    for m in hits:
        src, outs, cond, dst = m.groups()
        read_out, read_cond = _values(outs), _values(cond)
        if read_out is None or read_cond is None:
            return None, "", f"a diagram line it can read ('{m.group(0).strip()}')"
        names, values = read_out
        names = names or (["out"] if len(values) == 1 else None)
        if names is None:
            return None, "", f"output names for '({outs})'"
        if out_names is not None and names != out_names:
            return None, "", "the same outputs on every state of the diagram"
        out_names = names
        if moore.setdefault(src, tuple(values)) != tuple(values):
            return None, "", f"one output value for state {src}"
        cnames, cvalues = read_cond
        cnames = cnames or (["in"] if len(cvalues) == 1 else [])
        if len(cnames) != len(cvalues):
            return None, "", f"a condition it can read ('{cond}')"
        for n in cnames:
            if n not in inputs:
                inputs.append(n)
        for s in (src, dst):
            if s not in states:
                states.append(s)
        transitions.append((src, tuple(zip(cnames, cvalues, strict=True)), dst))
    if "in" in inputs and len(inputs) > 1:
        return None, "", "conditions that all name their input, or none of them"
    lines = text.splitlines()
    first = text[: hits[0].start()].count("\n") + (1 if text[hits[0].start()] == "\n" else 0)
    last = text[: hits[-1].end()].count("\n")
    words = "\n".join(lines[first : last + 1])
    return Machine(states, inputs, out_names or [], moore, transitions), words, None


def _mealy_edges(text: str) -> tuple[Machine | None, str, str | None]:
    hits = list(_MEALY_EDGE.finditer(text))
    if not hits:
        return None, "", None
    states: list[str] = []
    inputs: list[str] = []
    out_names: list[str] | None = None
    transitions: list[tuple[str, Cond, str]] = []
    edge_out: list[tuple[int, ...]] = []
    for m in hits:
        src, cond, outs, dst = m.groups()
        read_cond, read_out = _values(cond), _values(outs)
        if read_out is None or read_cond is None:
            return None, "", f"a diagram line it can read ('{m.group(0).strip()}')"
        names, values = read_out
        names = names or (["out"] if len(values) == 1 else None)
        if names is None or (out_names is not None and names != out_names):
            return None, "", f"the same named outputs on every transition ('{outs}')"
        out_names = names
        cnames, cvalues = read_cond
        cnames = cnames or (["in"] if len(cvalues) == 1 else [])
        if len(cnames) != len(cvalues):
            return None, "", f"a condition it can read ('{cond}')"
        inputs.extend(n for n in cnames if n not in inputs)
        states.extend(x for x in dict.fromkeys((src, dst)) if x not in states)
        transitions.append((src, tuple(zip(cnames, cvalues, strict=True)), dst))
        edge_out.append(tuple(values))
    if "in" in inputs and len(inputs) > 1:
        return None, "", "conditions that all name their input, or none of them"
    words = " | ".join(m.group(0).strip() for m in hits)
    machine = Machine(states, inputs, out_names or [], {}, transitions, edge_out, mealy=True)
    return machine, words, None


def _table(text: str) -> tuple[Machine | None, str, str | None]:
    header = list(_NEXT_HEADER.finditer(text))
    rows = list(_TABLE_ROW.finditer(text))
    if not header or not rows:
        return None, "", None
    names = {m.group(1) for m in header}
    if len(names) != 1:
        return None, "", "a transition table over one input"
    name = header[0].group(1)
    order = [int(m.group(2)) for m in header]
    if sorted(order) != [0, 1]:
        return None, "", f"next states for {name}=0 and {name}=1"
    states: list[str] = []
    moore: dict[str, tuple[int, ...]] = {}
    transitions: list[tuple[str, Cond, str]] = []
    for r in rows:
        state: str = r.group(1)
        nexts = [x.strip() for x in r.group(2).split(",")]
        value = int(r.group(3))
        if len(nexts) != 2:
            return None, "", f"two next states in row '{r.group(0).strip()}'"
        states.append(state)
        moore[state] = (value,)
        for v, t in zip(order, nexts, strict=True):
            transitions.append((state, ((str(name), v),), t))
    start = text.rfind("\n", 0, header[0].start()) + 1
    words = text[start : rows[-1].end()]
    return Machine(states, [str(name)], ["out"], moore, transitions), words, None


def read_machine(text: str) -> tuple[Machine | None, str, str | None]:
    """(machine, the words it came from, None), or (None, '', what is missing or unreadable)."""
    for reader in (_edges, _mealy_edges, _table):
        machine, words, problem = reader(text)
        if machine is not None or problem is not None:
            return machine, words, problem
    return None, "", None
