"""Fresh random inputs and poisoned outputs for each trial of a kernel check.

Inputs are never constant: floats are uniform in [-1, 1), wide integers in [-1000, 1000] (unsigned
[0, 2000]), 8-bit types over their whole range. Outputs start as a poison pattern (a quiet NaN
with a 0xCD payload for floats, 0xCD bytes for integers) so elements the kernel never writes
are found.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tools.errors import UsageError
from tools.kernels.harness import Trial
from tools.kernels.spec import KernelArg, KernelSpec

POISON_BITS: dict[int, int] = {1: 0xCD, 2: 0xCDCD, 4: 0x7FC0CDCD, 8: 0x7FF8CDCDCDCDCDCD}
"""Poison pattern per element size; for 4- and 8-byte floats these are quiet NaNs."""
_INT_POISON: dict[int, int] = {1: 0xCD, 2: 0xCDCD, 4: 0xCDCDCDCD, 8: 0xCDCDCDCDCDCDCDCD}
_UINT_VIEW: dict[int, type[np.unsignedinteger[Any]]] = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def poison_value(arg: KernelArg) -> int:
    """The bit pattern every element of ``arg`` holds before the kernel runs."""
    size = arg.np_dtype.itemsize
    return POISON_BITS[size] if arg.dtype.startswith("f") else _INT_POISON[size]


def poisoned(arg: KernelArg, dims: tuple[int, ...]) -> np.ndarray[Any, Any]:
    """An array of ``dims`` filled with the poison pattern of ``arg``'s dtype."""
    size = arg.np_dtype.itemsize
    bits = np.full(dims, poison_value(arg), dtype=_UINT_VIEW[size])
    return bits.view(arg.np_dtype)


def is_poison(arg: KernelArg, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Boolean mask of elements whose bits still equal the poison pattern."""
    bits = np.ascontiguousarray(values).view(_UINT_VIEW[arg.np_dtype.itemsize])
    result: np.ndarray[Any, Any] = bits == poison_value(arg)
    return result


def random_array(arg: KernelArg, dims: tuple[int, ...], rng: np.random.Generator) -> np.ndarray[Any, Any]:
    """Random values for ``arg`` (see the module docstring for the ranges)."""
    dtype = arg.np_dtype
    if arg.dtype.startswith("f"):
        return rng.uniform(-1.0, 1.0, size=dims).astype(dtype)
    if dtype.itemsize == 1:
        info = np.iinfo(dtype)
        return rng.integers(int(info.min), int(info.max), size=dims, endpoint=True).astype(dtype)
    low, high = (0, 2000) if arg.dtype.startswith("u") else (-1000, 1000)
    return rng.integers(low, high, size=dims, endpoint=True).astype(dtype)


def make_trial(spec: KernelSpec, shape: dict[str, int | float], rng: np.random.Generator) -> Trial:
    """One trial: scalar values (from ``shape``, random for unlisted float scalars), random inputs,
    poisoned outputs.

    Raises:
        UsageError: when an integer scalar is missing from ``shape``, a shape names an unknown
            scalar, or ``make_inputs`` returns an array of the wrong shape.
    """
    known = {a.name for a in spec.scalars}
    unknown = sorted(set(shape) - known)
    if unknown:
        raise UsageError(
            f"test shape {shape} names {', '.join(unknown)}, which are not scalar args of "
            f"'{spec.name}'; scalar args: {', '.join(sorted(known)) or '(none)'}"
        )
    scalars: dict[str, int | float] = {}
    for a in spec.scalars:
        if a.name in shape:
            scalars[a.name] = shape[a.name]
        elif a.dtype.startswith("f"):
            scalars[a.name] = float(rng.uniform(0.5, 2.0) * rng.choice([-1.0, 1.0]))
        else:
            raise UsageError(
                f"test shape {shape} does not set the integer scalar '{a.name}' of '{spec.name}'"
            )
    custom = dict(spec.make_inputs(rng, scalars)) if spec.make_inputs else {}
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    for a in spec.arrays:
        dims = a.dims(scalars)
        if a.role == "out":
            arrays[a.name] = poisoned(a, dims)
        elif a.name in custom:
            given = np.ascontiguousarray(custom[a.name], dtype=a.np_dtype)
            if given.shape != dims:
                raise UsageError(f"make_inputs gave '{a.name}' shape {given.shape}; the spec says {dims}")
            arrays[a.name] = given
        else:
            arrays[a.name] = random_array(a, dims, rng)
    return Trial(scalars=scalars, arrays=arrays)
