"""The kernel description shared by the checker, the timer, the templates and the tuner.

A :class:`KernelSpec` says what a C kernel computes and how it is called:

* the C ABI is ``void NAME(args...)`` with the args in declared order; ``in`` arrays are
  ``const T*``, ``out`` and ``inout`` arrays are ``T*``, scalars are passed by value
  (``i32`` -> ``int``, ``i64`` -> ``long``, ``f32`` -> ``float``, ``f64`` -> ``double``);
* array shapes are lists of integer expressions over the scalar args (``["M", "K"]``,
  ``["(N + 3) // 4"]``); arrays are dense, row-major, contiguous;
* ``reference`` is a Python callable taking the ``in``/``inout`` arrays and all scalars by name
  (as NumPy arrays / Python numbers, copies it may modify) and returning a dict with one NumPy
  array per ``out``/``inout`` arg;
* ``flops`` and ``bytes_moved`` are expressions (or callables) of the scalars for the roofline;
* ``shapes`` are the test cases: dicts of scalar values. Scalars missing from a shape dict get a
  random value when they are floating point; integer scalars must be given. Include awkward
  sizes (1, primes, sizes that are not a multiple of any vector length);
* input arrays are random (floats uniform in [-1, 1), integers in a small range, 8-bit types over
  their whole range) unless ``make_inputs`` supplies some of them.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tools.errors import UsageError

DType = Literal["f32", "f64", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"]
Role = Literal["in", "out", "inout", "scalar"]
Scalars = Mapping[str, int | float]
Reference = Callable[..., Mapping[str, Any]]
SizeFn = Callable[..., float]
InputMaker = Callable[[np.random.Generator, Mapping[str, int | float]], Mapping[str, Any]]

NUMPY_DTYPES: dict[str, type[np.generic]] = {
    "f32": np.float32,
    "f64": np.float64,
    "i8": np.int8,
    "i16": np.int16,
    "i32": np.int32,
    "i64": np.int64,
    "u8": np.uint8,
    "u16": np.uint16,
    "u32": np.uint32,
    "u64": np.uint64,
}
C_TYPES: dict[str, str] = {
    "f32": "float",
    "f64": "double",
    "i8": "int8_t",
    "i16": "int16_t",
    "i32": "int32_t",
    "i64": "int64_t",
    "u8": "uint8_t",
    "u16": "uint16_t",
    "u32": "uint32_t",
    "u64": "uint64_t",
}
C_SCALAR_TYPES: dict[str, str] = {**C_TYPES, "i32": "int", "i64": "long"}
DEFAULT_TOLERANCE: dict[str, float] = {"f32": 1e-4, "f64": 1e-10}
"""Relative norm error allowed per dtype; integer dtypes must match exactly (0)."""

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_FUNCS: dict[str, Callable[..., Any]] = {"min": min, "max": max}


def eval_expr(expr: str, scalars: Scalars) -> int | float:
    """Evaluate an arithmetic expression over scalar names (+ - * / // % **, min, max).

    Raises:
        UsageError: on syntax outside that grammar or an unknown name (the message lists the
            names that are known).
    """
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise UsageError(
            f"expression {expr!r} is not valid; use integers, scalar names, + - * / // % **"
        ) from None

    def walk(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in scalars:
                known = ", ".join(sorted(scalars)) or "(none)"
                raise UsageError(f"expression {expr!r} uses unknown name '{node.id}'; known scalars: {known}")
            return scalars[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS:
            return _FUNCS[node.func.id](*(walk(a) for a in node.args))
        raise UsageError(
            f"expression {expr!r}: '{ast.unparse(node)}' is not allowed; use + - * / // % ** min max"
        )

    result = walk(tree)
    if not isinstance(result, int | float):
        raise UsageError(f"expression {expr!r} does not give a number")
    return result


class KernelArg(BaseModel):
    """One argument of the kernel's C function."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="C identifier of the argument.")
    role: Role = Field(description="in (const T*), out (T*), inout (T*), or scalar (by value).")
    dtype: DType = Field(description="Element type: f32 f64 i8 i16 i32 i64 u8 u16 u32 u64.")
    shape: list[str] = Field(
        default_factory=list, description="Array dims as expressions over scalars; [] for scalars."
    )

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not value.isidentifier():
            raise ValueError(f"argument name {value!r} is not a C identifier")
        return value

    @model_validator(mode="after")
    def _shape_matches_role(self) -> KernelArg:
        if self.role == "scalar" and self.shape:
            raise ValueError(f"scalar argument '{self.name}' cannot have a shape")
        if self.role != "scalar" and not self.shape:
            raise ValueError(f"array argument '{self.name}' needs a shape, e.g. ['N']")
        return self

    @property
    def is_array(self) -> bool:
        """True for in/out/inout arguments."""
        return self.role != "scalar"

    @property
    def np_dtype(self) -> np.dtype[Any]:
        """The NumPy dtype of the elements."""
        return np.dtype(NUMPY_DTYPES[self.dtype])

    def c_decl(self) -> str:
        """The parameter as it appears in the C prototype, e.g. ``const float* A``."""
        if self.role == "scalar":
            return f"{C_SCALAR_TYPES[self.dtype]} {self.name}"
        const = "const " if self.role == "in" else ""
        return f"{const}{C_TYPES[self.dtype]}* {self.name}"

    def dims(self, scalars: Scalars) -> tuple[int, ...]:
        """Concrete dims for these scalar values.

        Raises:
            UsageError: when an expression is invalid or gives a negative or fractional size.
        """
        out = []
        for expr in self.shape:
            value = eval_expr(expr, scalars)
            if value != int(value) or value < 0:
                raise UsageError(
                    f"shape of '{self.name}': {expr!r} = {value} is not a size (a whole number >= 0)"
                )
            out.append(int(value))
        return tuple(out)


class KernelSpec(BaseModel):
    """What a kernel computes, its C ABI, its cost model and its test shapes."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    name: str = Field(description="C function name.")
    args: list[KernelArg] = Field(description="Arguments in C order.")
    reference: Reference = Field(
        description="NumPy reference: (**inputs and scalars) -> {output name: array}."
    )
    flops: str | SizeFn | None = Field(
        None, description="Floating-point operations per call, e.g. '2*M*N*K'."
    )
    bytes_moved: str | SizeFn | None = Field(None, description="Bytes read + written per call, for GB/s.")
    tolerance: float | None = Field(None, ge=0, description="Relative norm error allowed; default by dtype.")
    shapes: list[dict[str, int | float]] = Field(description="Test cases: scalar values for each check.")
    make_inputs: InputMaker | None = Field(
        None,
        description="Optional (rng, scalars) -> {arg name: array} for inputs with constraints (indices, "
        "positive values); args it leaves out get the default random values.",
    )
    bench_shapes: list[dict[str, int | float]] = Field(
        default_factory=list, description="Larger shapes for timing."
    )
    description: str = Field("", description="One line for a human.")

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not value.isidentifier():
            raise ValueError(f"kernel name {value!r} is not a C identifier")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> KernelSpec:
        names = [a.name for a in self.args]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate argument names: {', '.join(dupes)}")
        if not any(a.role in ("out", "inout") for a in self.args):
            raise ValueError("a kernel needs at least one out or inout argument")
        if not self.shapes:
            raise ValueError("give at least one test shape, e.g. shapes=[{'N': 17}]")
        return self

    @property
    def scalars(self) -> list[KernelArg]:
        """The scalar arguments, in C order."""
        return [a for a in self.args if a.role == "scalar"]

    @property
    def arrays(self) -> list[KernelArg]:
        """The array arguments, in C order."""
        return [a for a in self.args if a.is_array]

    @property
    def outputs(self) -> list[KernelArg]:
        """The out and inout arguments, in C order."""
        return [a for a in self.args if a.role in ("out", "inout")]

    def arg(self, name: str) -> KernelArg:
        """The argument called ``name``; UsageError listing the known names otherwise."""
        for a in self.args:
            if a.name == name:
                return a
        raise UsageError(
            f"kernel '{self.name}' has no argument '{name}'; known: {', '.join(a.name for a in self.args)}"
        )

    def prototype(self) -> str:
        """The C prototype, e.g. ``void saxpy(int n, float a, const float* x, float* y)``."""
        return f"void {self.name}({', '.join(a.c_decl() for a in self.args)})"

    def tolerance_for(self, arg: KernelArg) -> float:
        """Relative norm error allowed for ``arg``: the override, else by dtype (0 for integers)."""
        if self.tolerance is not None:
            return self.tolerance
        return DEFAULT_TOLERANCE.get(arg.dtype, 0.0)

    def flops_at(self, scalars: Scalars) -> float | None:
        """Floating-point operations for one call at these scalars, or None when not declared."""
        return _cost(self.flops, scalars)

    def bytes_at(self, scalars: Scalars) -> float | None:
        """Bytes moved for one call at these scalars; default: the size of every array once."""
        declared = _cost(self.bytes_moved, scalars)
        if declared is not None:
            return declared
        total = 0
        for a in self.arrays:
            count = int(np.prod(a.dims(scalars)))
            total += count * a.np_dtype.itemsize * (2 if a.role == "inout" else 1)
        return float(total)

    def memory_at(self, scalars: Scalars) -> int:
        """Bytes a check at these scalars holds at once, estimated before anything is allocated: every
        array in its own type, a float64 copy for the NumPy reference, and fresh inputs for a second
        round."""
        total = 0
        for a in self.arrays:
            count = 1
            for d in a.dims(scalars):
                count *= d
            total += count * (a.np_dtype.itemsize + 8)
        return 2 * total

    def check_memory(self, limit_mb: int) -> None:
        """Raise UsageError when a shape of this spec (checked or timed) needs more than ``limit_mb``.

        The message gives the estimate, the shape and the setting that sets the limit."""
        for shape in [*self.shapes, *self.bench_shapes]:
            need = self.memory_at(shape)
            if need > limit_mb * 2**20:
                where = ", ".join(f"{k}={v:g}" for k, v in shape.items())
                raise UsageError(
                    f"{self.name} at {where} needs about {need / 2**30:.1f} GiB, over the "
                    f"{limit_mb / 1024:.1f} GiB limit (sandbox.memory_mb, QIMENG_SANDBOX__MEMORY_MB); "
                    "choose a smaller shape or raise the limit"
                )


def _cost(model: str | SizeFn | None, scalars: Scalars) -> float | None:
    if model is None:
        return None
    if isinstance(model, str):
        return float(eval_expr(model, scalars))
    return float(model(**scalars))
