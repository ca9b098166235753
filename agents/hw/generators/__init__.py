"""The parameterized generators of the offline designer, grouped by kind (arithmetic,
combinational, clocked, storage, state machines); :mod:`agents.hw.library` registers them."""

from agents.hw.generators._base import Generator, Params, SeqParams

__all__ = ["Generator", "Params", "SeqParams"]
