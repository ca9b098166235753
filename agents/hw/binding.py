"""Binding a generator to an interface: read parameters from a given header, check that every
port matches exactly, and emit the final RTL (a wrapper with the user's header when names differ)
and the final reference model (the checker's ``class Model`` contract over the user's names).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from agents.hw.generators._base import Generator, Params, SeqParams, reset_name
from agents.hw.interface import Interface, Port
from tools.errors import UsageError

_CLOCK_ALIASES = ("clk", "clock", "clk_i", "i_clk", "sys_clk")
_RESET_ALIASES = (
    "rst",
    "reset",
    "rst_n",
    "reset_n",
    "resetn",
    "rstn",
    "nreset",
    "areset",
    "arst",
    "arst_n",
    "aresetn",
    "rst_i",
)


class ResetInfo(BaseModel):
    """How the design's reset behaves, for checkers and testbenches."""

    port: str = Field(description="Reset port name.")
    active_low: bool = Field(description="Asserted at 0.")
    asynchronous: bool = Field(description="Takes effect without a clock edge.")


class Design(BaseModel):
    """A generated design: RTL, its reference model and the facts a checker needs."""

    generator: str = Field(description="Library entry that produced it.")
    params: dict[str, Any] = Field(description="Parameter values used.")
    top: str = Field(description="Top module name.")
    interface: Interface = Field(description="The top module's ports.")
    rtl: str = Field(description="Verilog source.")
    model: str = Field(description="Python reference model source (class Model).")
    clock: str | None = Field(None, description="Clock port (rising edge), None if combinational.")
    reset: ResetInfo | None = Field(None, description="Reset port, None if combinational.")


def bind(gen: Generator, params: dict[str, Any], iface: Interface | None, module: str) -> Design:
    """Build a :class:`Design` for ``gen``; with ``iface`` its ports are honored exactly.

    Raises:
        UsageError: parameters out of range, or a header that does not fit this generator
            (the message lists the ports the generator can provide).
    """
    if iface is None:
        p = _validated(gen, params)
        ports = gen.ports(p)
        top = Interface(module=module, ports=ports)
        return _design(gen, p, top, gen.rtl(p, module), {q.name: q.name for q in ports})
    roles = _bind_roles(gen, params, iface)
    p = _validated(gen, _params_from_header(gen, params, iface, roles))
    canonical = {q.name: q for q in gen.ports(p)}
    by_role = {role: iface.port(name) for name, role in roles.items()}
    problems = []
    for role, cport in canonical.items():
        user = by_role.get(role)
        if user is None:
            problems.append(f"no port for {cport.direction} '{role}' ({cport.width} bits)")
        elif user.direction != cport.direction or user.width != cport.width:
            problems.append(
                f"port '{user.name}' is {user.direction} {user.width} bits but {gen.name} needs "
                f"{cport.direction} '{role}' of {cport.width} bits"
            )
    extra = [n for n, r in roles.items() if r not in canonical]
    if extra:
        problems.append(f"ports {', '.join(extra)} have no role in {gen.name} with these parameters")
    if problems:
        raise UsageError(f"the given interface does not fit {gen.name}({_show(p)}): " + "; ".join(problems))
    core = iface.module + "_core"
    rtl = gen.rtl(p, core) + "\n" + _wrapper(iface, core, roles)
    return _design(gen, p, iface, rtl, roles)


def header_params(gen: Generator, params: dict[str, Any], iface: Interface) -> dict[str, Any]:
    """The parameters ``iface`` decides for ``gen`` (widths, optional ports, the reset's polarity and
    kind from its name), as values that would replace ``params``. Raises UsageError when a port has
    no counterpart in the generator."""
    return _params_from_header(gen, {}, iface, _bind_roles(gen, params, iface))


def _validated(gen: Generator, params: dict[str, Any]) -> Params:
    try:
        return gen.params(**params)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(x) for x in err["loc"])
            info = gen.params.model_fields.get(name)
            allowed = f" ({info.description})" if info and info.description else ""
            problems.append(f"{name}={err.get('input')!r}: {err['msg']}{allowed}")
        known = ", ".join(gen.params.model_fields)
        raise UsageError(
            f"bad parameters for {gen.name}: " + "; ".join(problems) + f" (parameters: {known})"
        ) from None


def _show(p: Params) -> str:
    return ", ".join(f"{k}={v}" for k, v in p.model_dump().items())


def _role_candidates(gen: Generator, params: dict[str, Any]) -> list[Port]:
    """Every role the generator could have: its ports with all optional flags turned on."""
    on = {**params, **{flag: True for flag in gen.flags.values()}}
    return gen.ports(_validated(gen, on))


def _bind_roles(gen: Generator, params: dict[str, Any], iface: Interface) -> dict[str, str]:
    """Map each user port name to a generator role, by name aliases then by order and direction."""
    cands = _role_candidates(gen, params)
    free = {c.name: c for c in cands}
    roles: dict[str, str] = {}
    unbound: list[Port] = []
    for user in iface.ports:
        role = _alias_role(gen, user, free)
        if role is None:
            unbound.append(user)
            continue
        roles[user.name] = role
        del free[role]
    for user in unbound:
        same = [
            c
            for c in free.values()
            if c.direction == user.direction
            and c.name not in ("clk", "rst", "rst_n")
            and (gen.positional is None or c.name in gen.positional)
        ]
        exact = [c for c in same if c.width == user.width]
        picks = exact or same
        if not picks:
            provided = ", ".join(f"{c.direction} {c.name}" for c in cands)
            raise UsageError(
                f"port '{user.name}' ({user.direction}) has no counterpart in {gen.name}; it provides: {provided}"
            )
        roles[user.name] = picks[0].name
        del free[picks[0].name]
    return roles


def _alias_role(gen: Generator, user: Port, free: dict[str, Port]) -> str | None:
    low = user.name.lower()
    for role, cand in free.items():
        if cand.direction != user.direction:
            continue
        if role in ("clk",) and low in _CLOCK_ALIASES:
            return role
        if role in ("rst", "rst_n") and low in _RESET_ALIASES:
            return role
        if low == role or low in gen.aliases.get(role, ()):
            return role
    return None


def _params_from_header(
    gen: Generator, params: dict[str, Any], iface: Interface, roles: dict[str, str]
) -> dict[str, Any]:
    out = dict(params)
    bound = set(roles.values())
    for role, flag in gen.flags.items():
        out[flag] = role in bound
    for name, role in roles.items():
        if role in gen.width_params:
            pname, fn = gen.width_params[role]
            out[pname] = fn(iface.port(name).width)
        if role in ("rst", "rst_n"):
            low = name.lower()
            out["reset_low"] = bool(re.search(r"_n$|^n|(rst|reset)n$", low))
            if re.search(r"^a(rst|reset)", low):
                out["reset_async"] = True
            if out["reset_low"] != (role == "rst_n"):
                roles[name] = "rst_n" if out["reset_low"] else "rst"
    return out


def _wrapper(iface: Interface, core: str, roles: dict[str, str]) -> str:
    conns = ",\n        ".join(f".{roles[p.name]}({p.name})" for p in iface.ports)
    return f"{iface.header()}\n    {core} u_core (\n        {conns}\n    );\nendmodule\n"


def _design(gen: Generator, p: Params, top: Interface, rtl: str, roles: dict[str, str]) -> Design:
    clock = reset = None
    if isinstance(p, SeqParams):
        inv = {r: n for n, r in roles.items()}
        clock = inv["clk"]
        reset = ResetInfo(port=inv[reset_name(p)], active_low=p.reset_low, asynchronous=p.reset_async)
    model = gen.model(p) + _shim(top, roles, reset)
    return Design(
        generator=gen.name,
        params=p.model_dump(),
        top=top.module,
        interface=top,
        rtl=rtl,
        model=model,
        clock=clock,
        reset=reset,
    )


def _shim(top: Interface, roles: dict[str, str], reset: ResetInfo | None) -> str:
    ins = {p.name: roles[p.name] for p in top.ports if p.direction == "input"}
    outs = {roles[p.name]: (p.name, (1 << p.width) - 1) for p in top.ports if p.direction == "output"}
    rst = repr((reset.port, 0 if reset.active_low else 1, reset.asynchronous)) if reset else "None"
    return f'''

_INPUTS = {ins!r}
_OUTPUTS = {outs!r}
_RESET = {rst}


class Model:
    """Reference model over the top module's port names (values are unsigned ints)."""

    def __init__(self) -> None:
        self._core = _Core()

    def _in_reset(self, inputs: dict[str, int]) -> bool:
        return _RESET is not None and inputs.get(_RESET[0], 1 - _RESET[1]) == _RESET[1]

    def reset(self) -> None:
        self._core.reset()

    def outputs(self, inputs: dict[str, int]) -> dict[str, int]:
        core = self._core
        if _RESET is not None and _RESET[2] and self._in_reset(inputs):
            core = _Core()
        got = core.outputs({{role: inputs.get(name, 0) for name, role in _INPUTS.items()}})
        return {{name: got[role] & mask for role, (name, mask) in _OUTPUTS.items()}}

    def clock(self, inputs: dict[str, int]) -> None:
        if self._in_reset(inputs):
            self._core.reset()
        else:
            self._core.clock({{role: inputs.get(name, 0) for name, role in _INPUTS.items()}})
'''
