"""The offline designer: no LLM, a deterministic mapping from a request to library generators."""

from __future__ import annotations

from typing import Any

from agents.hw.binding import Design, bind
from agents.hw.generators._base import Generator
from agents.hw.library import catalog, get_generator
from agents.hw.request import HwRequest, read_request
from tools.errors import UsageError


def design_request(req: HwRequest, overrides: dict[str, Any] | None = None) -> Design:
    """Generate the design for a read request; ``overrides`` replace parameters (area variants).

    Raises UsageError when the parameters or the interface do not fit the generator, and
    :class:`~agents.hw.interpretation.Underspecified` when the request leaves a required parameter
    unstated (the designer never guesses one).
    """
    gen = _generator(req)
    req.refuse_if_unread()
    return bind(gen, {**req.params, **(overrides or {})}, req.interface, req.module)


def _generator(req: HwRequest) -> Generator:
    if req.generator is None:
        raise UsageError(
            "no generator in the offline library matches this request; it can build:\n" + catalog()
        )
    return get_generator(req.generator)


def design(text: str, **params: Any) -> Design:
    """Read ``text`` and generate its design in one step (``params`` override the text)."""
    return design_request(read_request(text, params=params or None))


def variants(req: HwRequest) -> list[dict[str, Any]]:
    """Parameter overrides worth trying for this request (at least the plain one, ``{}``)."""
    gen = _generator(req)
    if gen.area_variants is None:
        return [{}]
    base = gen.params(**req.params)
    out: list[dict[str, Any]] = [{}]
    for v in gen.area_variants(base):
        if v and gen.params(**{**req.params, **v}) != base and v not in out:
            out.append(v)
    return out
