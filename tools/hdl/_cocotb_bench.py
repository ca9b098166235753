"""cocotb testbench exported by qimeng: reruns a verified design's checks with plain cocotb.

The design and its reference model (``model.py``: ``class Model`` with ``reset()``,
``outputs(inputs)`` and ``clock(inputs)``) get the same seeded random inputs, and every output is
compared on every sample; the spec's examples (in ``bench.json``) run as a directed test.
Nothing here imports qimeng: ``python run.py [icarus|verilator]`` runs it, or any cocotb flow
with this file as the test module and ``bench.json``'s ``top`` as the HDL toplevel.

Timing of one 10 ns sample: inputs applied at +1 ns, outputs read at +4 ns (just before the
active clock edge, so they show the state after earlier edges with this sample's inputs), active
edge at +5 ns, inactive edge at +10 ns. The model is asked for the outputs of a sample and then
clocked with its inputs. Until the first reset of a test, an output that is x or z is not
compared (power-on), nor is any output in tests after the first (state left by the test before).
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
from pathlib import Path
from typing import Any

import cocotb
from cocotb.triggers import Timer

_HERE = Path(__file__).resolve().parent
BENCH: dict[str, Any] = json.loads((_HERE / "bench.json").read_text(encoding="utf-8"))
INPUTS: list[tuple[str, int]] = [(n, w) for n, w in BENCH["inputs"]]
OUTPUTS: list[tuple[str, int]] = [(n, w) for n, w in BENCH["outputs"]]
CLOCK: str | None = BENCH["clock"]
RESET: dict[str, Any] | None = BENCH["reset"]
SEEDS: list[int] = [
    int(s) for s in os.environ.get("BENCH_SEEDS", ",".join(map(str, BENCH["seeds"]))).split(",")
]
CYCLES = int(os.environ.get("BENCH_CYCLES", BENCH["cycles"]))
HOLD = 0.9
"""In 'hold' sequences each input keeps its value with this probability."""
MAX_REPORTED = 5
_RAN = {"drives": 0}


def _model_class() -> Any:
    spec = importlib.util.spec_from_file_location("reference_model", _HERE / "model.py")
    assert spec is not None and spec.loader is not None, "model.py is missing"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Model


def _asserted(sample: dict[str, int]) -> bool:
    return RESET is not None and sample.get(RESET["name"]) == (0 if RESET["active_low"] else 1)


def _value(width: int, rng: random.Random) -> int:
    draw = rng.random()
    if draw < 0.125:
        return rng.choice((0, 1, (1 << width) - 1, 1 << (width - 1)))
    constants: list[int] = [int(c) for c in BENCH["constants"] if c < 1 << width]
    if constants and width > 2 and draw < 0.125 + 1 / 6:
        return rng.choice(constants)
    return rng.getrandbits(width)


def stimulus(
    seed: int, sequences: int, cycles: int, modes: tuple[str, ...] = ("random", "hold")
) -> list[dict[str, int]]:
    """Seeded samples: sequences of ``cycles`` with a reset at the start, in the middle or not at
    all, alternating fresh random values every cycle with values held for stretches."""
    rng = random.Random(seed)
    samples: list[dict[str, int]] = []
    previous: dict[str, int] = {}
    for seq in range(sequences):
        pattern = ("start", "mid", "none")[seq % 3]
        mode = modes[seq % len(modes)]
        at = {0, 1} if pattern == "start" else {cycles // 2} if pattern == "mid" else set()
        for cycle in range(cycles):
            sample = {
                name: previous[name]
                if mode == "hold" and name in previous and rng.random() < HOLD
                else _value(width, rng)
                for name, width in INPUTS
            }
            previous = dict(sample)
            if RESET is not None:
                sample[RESET["name"]] = int((cycle in at) != RESET["active_low"])
            samples.append(sample)
    return samples


def _bits(value: Any) -> str:
    return str(value).lower()


async def drive(
    dut: Any, samples: list[dict[str, int]], expect: list[dict[str, int]] | None = None
) -> list[str]:
    """Drive ``samples``; compare with the model (or with ``expect``, output -> value per sample).

    Returns the first mismatches, in words."""
    model = _model_class()()
    model.reset()
    clock = getattr(dut, CLOCK) if CLOCK else None
    idle, active = (1, 0) if BENCH["negedge"] else (0, 1)
    if clock is not None:
        clock.value = idle
    reset_seen = False
    leftover = _RAN["drives"] > 0  # an earlier test left its state behind
    _RAN["drives"] += 1
    problems: list[str] = []
    for index, sample in enumerate(samples):
        await Timer(1, "ns")
        for name, _ in INPUTS:
            getattr(dut, name).value = sample[name]
        if RESET is not None:
            getattr(dut, RESET["name"]).value = sample[RESET["name"]]
        await Timer(3, "ns")
        in_reset = _asserted(sample)
        if in_reset and RESET is not None and RESET["asynchronous"]:
            model.reset()
            reset_seen = True
        wanted = model.outputs(dict(sample)) if expect is None else expect[index]
        for name, width in OUTPUTS:
            if name not in wanted:
                continue
            got = _bits(getattr(dut, name).value)
            want = format(int(wanted[name]) & ((1 << width) - 1), f"0{width}b")
            if expect is None and not reset_seen and (leftover or "x" in got or "z" in got):
                continue  # not reset yet: the state is unknown to the model
            if got != want and len(problems) < MAX_REPORTED:
                problems.append(
                    f"sample {index}, inputs {sample}: output '{name}' expected {want}, got {got}"
                )
        if clock is not None:
            if expect is None:
                model.clock(dict(sample))
            await Timer(1, "ns")
            clock.value = active
            await Timer(5, "ns")
            clock.value = idle
        else:
            await Timer(6, "ns")
        reset_seen = reset_seen or in_reset
    return problems


@cocotb.test(skip=not BENCH["examples"])
async def spec_examples(dut: Any) -> None:
    """The spec's own examples, in order: each sample's named outputs must match."""
    names = [n for n, _ in INPUTS] + ([RESET["name"]] if RESET else [])
    samples = [{n: int(e["inputs"].get(n, 0)) for n in names} for e in BENCH["examples"]]
    problems = await drive(dut, samples, [e["outputs"] for e in BENCH["examples"]])
    assert not problems, "\n".join(problems)


@cocotb.test()
@cocotb.parametrize(seed=SEEDS if RESET is not None or CLOCK is None else SEEDS[:1])
async def random_against_model(dut: Any, seed: int) -> None:
    """Seeded random sequences (resets at the start, in the middle, none), compared with the model."""
    problems = await drive(dut, stimulus(seed, BENCH["sequences"], CYCLES))
    assert not problems, "\n".join(problems)


@cocotb.test(skip=CLOCK is None or RESET is None or not BENCH["long_run"])
async def long_run_against_model(dut: Any) -> None:
    """One long run, reset once, inputs held for stretches: slow counters and long quiet periods."""
    samples = stimulus(SEEDS[0] + 7919, 1, BENCH["long_run"], modes=("hold",))
    problems = await drive(dut, samples)
    assert not problems, "\n".join(problems)
