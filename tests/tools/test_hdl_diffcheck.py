"""Contract tests: every reference kind through the same known-good and known-bad designs."""

from __future__ import annotations

import pytest

from tests.tools._hdl_fixtures import fixture
from tools.errors import UsageError
from tools.hdl import PythonRef, VerilogRef, diff_check
from tools.hdl.diffcheck import SOAK_CYCLES

SMALL = {"seeds": (1, 2), "cycles": 16, "sequences": 3}

# (candidate, Verilog reference, Python model, model overrides)
GOOD_AND_BAD = [
    ("adder.v", "adder_bad.v", "adder.v", "adder_model.py", {}),
    ("counter.v", "counter_wrong_reset.v", "counter.v", "counter_model.py", {}),
    ("dff_async.v", "dff_async_as_sync.v", "dff_async.v", "dff_async_model.py", {"reset_async": True}),
]


def _refs(vref: str, model: str, overrides: dict[str, bool]) -> list[VerilogRef | PythonRef]:
    return [VerilogRef(source=fixture(vref)), PythonRef(source=fixture(model), **overrides)]


@pytest.mark.parametrize(("good", "bad", "vref", "model", "overrides"), GOOD_AND_BAD)
def test_good_design_passes_against_both_reference_kinds(
    good: str, bad: str, vref: str, model: str, overrides: dict[str, bool]
) -> None:
    for ref in _refs(vref, model, overrides):
        report = diff_check(fixture(good), ref, **SMALL)  # type: ignore[arg-type]
        assert report.verdict == "pass", report.feedback()
        soak = SOAK_CYCLES if good != "adder.v" else 0  # the long run is for clocked designs with state
        assert report.samples == 2 * 3 * 16 + soak
        assert report.to_check().status == "pass"


@pytest.mark.parametrize(("good", "bad", "vref", "model", "overrides"), GOOD_AND_BAD)
def test_bad_design_fails_with_a_usable_first_mismatch(
    good: str, bad: str, vref: str, model: str, overrides: dict[str, bool]
) -> None:
    for ref in _refs(vref, model, overrides):
        report = diff_check(fixture(bad), ref, **SMALL)  # type: ignore[arg-type]
        assert report.verdict == "fail"
        assert report.reason_kind == "mismatch"
        first = report.mismatches[0]
        assert first.expected != first.got
        assert first.inputs, "the mismatch must say which inputs caused it"
        text = report.feedback()
        assert f"output '{first.output}'" in text and "expected" in text and "seed" in text
        assert report.to_check().status == "fail"


def test_clock_and_reset_are_detected() -> None:
    report = diff_check(fixture("dff_async.v"), VerilogRef(source=fixture("dff_async.v")), **SMALL)  # type: ignore[arg-type]
    assert (report.clock, report.reset) == ("clk", "rst_n")
    comb = diff_check(fixture("adder.v"), VerilogRef(source=fixture("adder.v")), **SMALL)  # type: ignore[arg-type]
    assert comb.clock is None


def test_reference_that_stays_x_is_never_a_pass() -> None:
    report = diff_check(fixture("adder_bad.v"), VerilogRef(source=fixture("xonly_ref.v")), **SMALL)  # type: ignore[arg-type]
    assert report.verdict == "inconclusive"
    assert "'sum' compared on 0 and 'cout' on 0 of" in report.reason
    assert "where each output needs 48: the reference was x" in report.reason
    assert report.steering_rounds == 1, "one round of fresh runs, then nothing to steer toward"
    assert any("was x on" in n for n in report.notes)


def test_several_clocks_are_unsupported_with_a_reason() -> None:
    report = diff_check(fixture("two_clocks.v"), VerilogRef(source=fixture("two_clocks.v")), **SMALL)  # type: ignore[arg-type]
    assert report.verdict == "unsupported"
    assert "several clocks (clk_a, clk_b)" in report.reason


@pytest.mark.parametrize(
    ("candidate", "kind", "words"),
    [
        ("syntax_error.v", "syntax", "syntax error"),
        ("adder_wide.v", "ports", "port 'sum' is output [5 bits], reference has output [4 bits]"),
        (
            "hang.v",
            "timeout",
            "did not finish within 3s: stopped by the wall limit of 3 s (this step's own; the",
        ),
    ],
)
def test_broken_candidates_fail_with_a_reason(candidate: str, kind: str, words: str) -> None:
    report = diff_check(fixture(candidate), VerilogRef(source=fixture("adder.v")), timeout_s=3, **SMALL)  # type: ignore[arg-type]
    assert (report.verdict, report.reason_kind) == ("fail", kind)
    assert words in report.reason


def test_missing_top_lists_the_modules_found() -> None:
    report = diff_check(fixture("adder.v"), VerilogRef(source=fixture("adder.v")), top="alu", **SMALL)  # type: ignore[arg-type]
    assert (report.verdict, report.reason_kind) == ("fail", "top")
    assert "no module named 'alu'; modules found: adder" in report.reason


def test_binary_and_huge_candidates_are_refused_not_run() -> None:
    ref = VerilogRef(source=fixture("adder.v"))
    binary = diff_check("module m;\x00\x01endmodule", ref, **SMALL)  # type: ignore[arg-type]
    assert (binary.verdict, binary.reason_kind) == ("fail", "input")
    assert "looks binary" in binary.reason
    huge = diff_check("// " + "x" * 1_100_000 + "\n", ref, **SMALL)  # type: ignore[arg-type]
    assert huge.verdict == "fail" and "at most 1000000 bytes" in huge.reason


def test_same_module_names_in_candidate_and_reference_do_not_clash() -> None:
    # both define 'adder'; the reference is renamed inside the shared compile
    report = diff_check(fixture("adder_bad.v"), VerilogRef(source=fixture("adder.v")), top="adder", **SMALL)  # type: ignore[arg-type]
    assert report.verdict == "fail" and report.top == "adder"


@pytest.mark.parametrize(
    ("model", "words"),
    [
        ("class Other:\n    pass\n", "defines no 'class Model'"),
        (
            "class Model:\n    def reset(self): pass\n    def clock(self, i): pass\n"
            "    def outputs(self, i): return {'sum': 1 // 0, 'cout': 0}\n",
            "the model raised at sample 0",
        ),
        (
            "class Model:\n    def reset(self): pass\n    def clock(self, i): pass\n    def outputs(self, i): return {'sum': 0}\n",
            "outputs() gave no value for cout",
        ),
        (
            "class Model:\n    def reset(self): pass\n    def clock(self, i): pass\n"
            "    def outputs(self, i): return {'sum': 99, 'cout': 0}\n",
            "does not fit 4 bits",
        ),
    ],
)
def test_broken_python_models_are_errors_that_say_why(model: str, words: str) -> None:
    report = diff_check(fixture("adder.v"), PythonRef(source=model), **SMALL)  # type: ignore[arg-type]
    assert (report.verdict, report.reason_kind) == ("error", "reference")
    assert words in report.reason + "\n".join(report.diagnostics)


def test_python_model_runs_confined() -> None:
    sneaky = (
        "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=1)\n"
        "class Model:\n    def reset(self): pass\n"
    )
    report = diff_check(fixture("adder.v"), PythonRef(source=sneaky), **SMALL)  # type: ignore[arg-type]
    assert report.verdict == "error"
    assert "raised while loading" in report.reason + "\n".join(report.diagnostics)


def test_bad_arguments_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="at least one seed"):
        diff_check(fixture("adder.v"), VerilogRef(source=fixture("adder.v")), seeds=())


DECODER = "module dec(input [15:0] code, output hit);\n  assign hit = (code == 16'he06b);\nendmodule\n"
NEVER_HITS = "module dec(input [15:0] code, output hit);\n  assign hit = 1'b0;\nendmodule\n"

LOW_RUN = """module lowrun(input clk, input rst, input x, output long);
  reg [4:0] n;
  always @(posedge clk) if (rst) n <= 0; else if (x) n <= 0; else if (n != 5'd31) n <= n + 1;
  assign long = n >= THRESHOLD;
endmodule
"""


def test_constants_in_the_sources_reach_the_inputs() -> None:
    """1152 uniform 16-bit samples hit one value with odds of about 2%; mined constants make it sure."""
    report = diff_check(NEVER_HITS, VerilogRef(source=DECODER))
    assert report.verdict == "fail"
    assert report.mismatches[0].output == "hit"


def test_held_inputs_reach_long_quiet_stretches() -> None:
    """'x low for 20 cycles' never happens with a fresh random bit each cycle (2^-20 per cycle)."""
    ref = LOW_RUN.replace("THRESHOLD", "5'd20")
    cand = LOW_RUN.replace("THRESHOLD", "5'd24")
    assert diff_check(ref, VerilogRef(source=ref)).verdict == "pass"
    report = diff_check(cand, VerilogRef(source=ref))
    assert report.verdict == "fail"
    assert report.mismatches[0].output == "long"


DUAL_EDGE = """module de(input clk, input d, output reg q);
  reg qp, qn;
  always @(posedge clk) qp <= d;
  always @(negedge clk) qn <= NEG;
  always @(*) q = clk ? qp : qn;
endmodule
"""


def test_dual_edge_designs_are_sampled_at_both_clock_levels() -> None:
    ref = DUAL_EDGE.replace("NEG", "d")
    wrong_on_the_falling_edge = DUAL_EDGE.replace("NEG", "~d")
    assert diff_check(ref, VerilogRef(source=ref)).verdict == "pass"
    report = diff_check(wrong_on_the_falling_edge, VerilogRef(source=ref))
    assert report.verdict == "fail"
    assert "edge" in report.mismatches[0].output


FRAME_RX = """module frame_rx(input clk, input reset, input in, output [5:0] payload, output valid);
  // idle until a 1 (start), six payload bits, then a stop bit that must be 0
  localparam IDLE = 4'd0, STOP = 4'd7, DONE = 4'd8, BAD = 4'd9;
  reg [3:0] state;
  reg [6:0] sh;
  always @(posedge clk)
    if (reset) state <= IDLE;
    else case (state)
      IDLE: state <= in ? 4'd1 : IDLE;
      4'd1, 4'd2, 4'd3, 4'd4, 4'd5: state <= state + 4'd1;
      4'd6: state <= STOP;
      STOP: state <= in ? BAD : DONE;
      DONE: state <= in ? 4'd1 : IDLE;
      default: state <= in ? BAD : IDLE;
    endcase
  always @(posedge clk) sh <= {in, sh[6:1]};
  assign valid = state == DONE;
  assign payload = valid ? PAYLOAD : 6'bx;
endmodule
"""
FRAME_REF = FRAME_RX.replace("PAYLOAD", "sh[5:0]")


def test_mostly_x_outputs_pass_once_steered_runs_compare_them_enough() -> None:
    """'payload' is defined only on the one cycle a frame completes; steering makes it compare."""
    report = diff_check(FRAME_REF, VerilogRef(source=FRAME_REF))
    assert report.verdict == "pass", report.feedback()
    compared = {o.name: o.compared for o in report.outputs}
    assert compared["payload"] >= report.enough == 1024
    assert report.steering_rounds >= 1 and report.steered_samples > 0
    check = report.to_check()
    assert f"payload {compared['payload']}" in check.summary
    assert check.details["compared"] == compared
    assert "steered toward where 'payload' is defined" in report.feedback()


@pytest.mark.parametrize(
    ("payload", "found_by"),
    [("{sh[0], sh[5:1]}", "seed 1"), ("(sh[5:0] == 6'b101101) ? ~sh[5:0] : sh[5:0]", "steered")],
    ids=["rotated", "wrong-on-one-payload-in-64"],
)
def test_steered_runs_catch_designs_wrong_where_the_reference_is_defined(payload: str, found_by: str) -> None:
    """The base runs complete about 50 frames, too few to meet one payload in 64; steered runs do."""
    report = diff_check(FRAME_RX.replace("PAYLOAD", payload), VerilogRef(source=FRAME_REF))
    assert report.verdict == "fail", report.feedback()
    assert report.mismatches[0].output == "payload"
    assert report.mismatches[0].where.startswith(found_by)
