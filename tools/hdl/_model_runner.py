"""Runs an untrusted Python reference model inside the sandbox (copied there as a script).

Usage: ``python _model_runner.py model.py job.json expected.txt``. ``job.json`` holds the output
ports, whether the design is clocked, the asynchronous reset (if any) and the runs' samples.
For every run: ``reset()``; then per sample: if an asynchronous reset is asserted, ``reset()``
again; ``outputs(inputs)`` is written (one binary word per output); if clocked, ``clock(inputs)``.
Runs are separated by ``run`` lines. Problems are written as one ``error: ...`` line and exit 3.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
from typing import Any


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(3)


def _load(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("qimeng_reference_model", path)
    if spec is None or spec.loader is None:
        _fail("cannot load the model file")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except Exception:
        _fail("the model file raised while loading:\n" + traceback.format_exc(limit=3))
    model_cls = getattr(module, "Model", None)
    if model_cls is None:
        _fail("the model file defines no 'class Model' (it needs reset(), outputs() and clock())")
    for name in ("reset", "outputs", "clock"):
        if not callable(getattr(model_cls, name, None)):
            _fail(f"class Model has no method {name}(); the contract needs reset(), outputs() and clock()")
    return model_cls


def _word(name: str, width: int, value: object, sample: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(f"outputs()['{name}'] at sample {sample} is {value!r}, not an int")
    number = int(value)  # type: ignore[call-overload]
    if not -(1 << width) < number < (1 << width):
        _fail(f"outputs()['{name}'] = {number} at sample {sample} does not fit {width} bits")
    return format(number & ((1 << width) - 1), f"0{width}b")


def main() -> None:
    model_path, job_path, out_path = sys.argv[1:4]
    with open(job_path, encoding="utf-8") as fh:
        job = json.load(fh)
    outputs: list[list[Any]] = job["outputs"]
    names = [name for name, _ in outputs]
    model_cls = _load(model_path)
    reset = job.get("async_reset")
    with open(out_path, "w", encoding="utf-8") as out:
        for run in job["runs"]:
            out.write("run\n")
            try:
                model = model_cls()
                model.reset()
            except Exception:
                _fail("Model() or reset() raised:\n" + traceback.format_exc(limit=3))
            for index, sample in enumerate(run):
                try:
                    if reset and sample.get(reset[0]) == reset[1]:
                        model.reset()
                    values = model.outputs(dict(sample))
                    if not isinstance(values, dict):
                        _fail(f"outputs() returned {type(values).__name__}, not a dict of output values")
                    missing = [n for n in names if n not in values]
                    if missing:
                        _fail(
                            f"outputs() gave no value for {', '.join(missing)} (outputs are {', '.join(names)})"
                        )
                    words = [_word(n, w, values[n], index) for n, w in outputs]
                    out.write(" ".join(words) + "\n")
                    if job["clocked"]:
                        model.clock(dict(sample))
                except SystemExit:
                    raise
                except Exception:
                    _fail(f"the model raised at sample {index}:\n" + traceback.format_exc(limit=3))
        out.write("qimeng-done\n")


if __name__ == "__main__":
    main()
