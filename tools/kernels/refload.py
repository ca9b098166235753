"""Loading a kernel's REF.py: a Python file that defines ``SPEC = KernelSpec(...)``.

REF.py is the user's own trusted description (like a pytest conftest), so it is imported in this
process. References written by agents must not come through here: they run in the sandbox.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

from pydantic import ValidationError

from tools.errors import UsageError
from tools.kernels.spec import KernelSpec

REF_FORMAT = """REF.py defines SPEC, e.g.

    from tools.kernels import KernelArg, KernelSpec
    SPEC = KernelSpec(
        name="saxpy",                                   # C function name
        args=[KernelArg(name="n", role="scalar", dtype="i32"),
              KernelArg(name="a", role="scalar", dtype="f32"),
              KernelArg(name="x", role="in", dtype="f32", shape=["n"]),
              KernelArg(name="y", role="inout", dtype="f32", shape=["n"])],
        reference=lambda n, a, x, y: {"y": a * x + y},  # NumPy, returns every out/inout
        flops="2*n", bytes_moved="12*n",                # for GFLOP/s, GB/s and the roofline
        shapes=[{"n": 1}, {"n": 17}, {"n": 1000}],      # checked sizes: include awkward ones
        bench_shapes=[{"n": 1 << 20}],                  # timed sizes
    )
"""


def load_spec(path: Path) -> KernelSpec:
    """Import ``path`` and return its ``SPEC``.

    Raises:
        UsageError: when the file is missing, fails to import, or has no valid ``SPEC``; the
            message shows the expected format.
    """
    if not path.is_file():
        raise UsageError(f"reference file {path} does not exist; {REF_FORMAT}")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"qimeng_ref_{digest}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise UsageError(f"cannot import {path} as Python; {REF_FORMAT}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except ValidationError as exc:
        raise UsageError(f"{path}: SPEC is not a valid KernelSpec: {_first_error(exc)}") from None
    except (Exception, SystemExit) as exc:  # user code: report what broke, without our traceback
        raise UsageError(f"{path} failed to import: {type(exc).__name__}: {exc}") from None
    finally:
        sys.modules.pop(name, None)
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, KernelSpec):
        found = type(spec).__name__ if spec is not None else "nothing"
        raise UsageError(f"{path} must define SPEC as a KernelSpec (found {found}); {REF_FORMAT}")
    return spec


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"])
