"""`--time-budget` reaches the tuner: the search stops on time and says so; bad values are refused."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ops.test_cli import qimeng


def test_sw_design_time_budget_stops_the_tuner_on_time(tmp_path: Path) -> None:
    res = qimeng(
        "sw", "design", "softmax rows=16 cols=64 fp32", "--offline", "--budget", "20", "--time-budget", "0.1",
        "--json",
        env={"QIMENG_RUN_DIR": str(tmp_path)},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    design = json.loads(res.stdout)
    tune = next(c for c in design["evidence"]["checks"] if c["name"] == "tune")
    assert tune["details"]["stopped"] == "time"
    assert 1 <= len(tune["details"]["candidates"]) < 20


def test_time_budget_below_its_minimum_is_a_usage_error(tmp_path: Path) -> None:
    res = qimeng("eval", "kernels", "--time-budget", "0", env={"QIMENG_RUN_DIR": str(tmp_path)})
    assert res.returncode == 2
    assert "--time-budget" in res.stderr and "Traceback" not in res.stderr
