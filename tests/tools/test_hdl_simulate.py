"""Both simulators run a testbench in the sandbox; hangs are stopped."""

from __future__ import annotations

import pytest

from tools.errors import UsageError
from tools.hdl import simulate

TB = """module tb;
  reg [3:0] a; wire [3:0] y;
  assign y = a + 4'd1;
  initial begin a = 4'd3; #1 $display("y=%0d", y); $finish; end
endmodule
"""


@pytest.mark.parametrize("simulator", ["iverilog", "verilator"])
def test_testbench_output_comes_back(simulator: str) -> None:
    result = simulate({"tb.sv": TB}, "tb", simulator=simulator)  # type: ignore[arg-type]
    assert result.ok, result.reason
    assert "y=4" in result.stdout


def test_four_state_x_survives_in_iverilog() -> None:
    tb = 'module tb;\n reg [1:0] r;\n initial begin #1 $display("r=%b", r); $finish; end\nendmodule\n'
    assert "r=xx" in simulate({"tb.v": tb}, "tb").stdout


def test_endless_simulation_is_stopped() -> None:
    tb = "module tb;\n reg c = 0;\n always #1 c = ~c;\nendmodule\n"
    result = simulate({"tb.v": tb}, "tb", timeout_s=2)
    assert not result.ok and result.timed_out
    assert "did not finish within the time limit" in result.reason


def test_compile_errors_are_diagnostics() -> None:
    result = simulate({"tb.v": "module tb;\n initial $display(;\nendmodule\n"}, "tb")
    assert result.stage == "compile" and result.diagnostics[0].line == 2


def test_unknown_simulator_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="unknown simulator 'vcs'; known simulators: iverilog, verilator"):
        simulate({"tb.v": TB}, "tb", simulator="vcs")  # type: ignore[arg-type]
