"""Lint and compile: Verilator and iverilog messages become structured diagnostics."""

from __future__ import annotations

import pytest

from tests.tools._hdl_fixtures import fixture
from tools.errors import UsageError
from tools.hdl import lint, parse_iverilog, parse_verilator
from tools.hdl.lint import name_sources


def test_clean_design_has_no_errors_and_records_tool_versions() -> None:
    report = lint(fixture("adder.v"))
    assert report.ok and not report.errors
    assert any(t.startswith("verilator ") for t in report.tools)
    assert any(t.startswith("iverilog ") for t in report.tools)
    assert report.to_check().status == "pass"


def test_syntax_error_is_located_by_both_tools() -> None:
    report = lint(fixture("syntax_error.v"))
    assert not report.ok
    assert {d.tool for d in report.errors} == {"verilator", "iverilog"}
    assert all(d.line == 2 for d in report.errors)
    assert report.to_check().status == "fail"


def test_unknown_module_is_an_error_naming_it() -> None:
    report = lint("module top(input a, output b);\n  missing u(.a(a));\nendmodule\n", top="top")
    assert any("missing" in d.text for d in report.errors)


def test_warnings_do_not_fail_lint() -> None:
    report = lint("module top(input a, input unused_b, output y);\n  assign y = a;\nendmodule\n")
    assert report.ok
    assert report.warnings == [] or all(d.severity == "warning" for d in report.warnings)


def test_parsers_read_the_tools_formats() -> None:
    (w,) = parse_verilator("%Warning-WIDTH: d.sv:3:9: Operator ASSIGN expects 4 bits\n   3 | foo\n")
    assert (w.file, w.line, w.severity, w.code) == ("d.sv", 3, "warning", "WIDTH")
    (e,) = parse_iverilog("d.sv:7: error: Unknown module type: foo\n1 error(s) during elaboration.\n")
    assert (e.file, e.line, e.severity, e.text) == ("d.sv", 7, "error", "Unknown module type: foo")
    assert e.render() == "d.sv:7: error: Unknown module type: foo (iverilog)"


def test_empty_source_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="the design source is empty"):
        lint("   \n")


def test_diagnostics_name_the_users_file_not_the_internal_copy() -> None:
    report = lint("module m(input a, output y);\n  assign y = a +;\nendmodule\n", name="rtl/my_adder.v")
    assert report.errors
    assert all(d.file in ("", "rtl/my_adder.v") for d in report.diagnostics)
    assert any(d.file == "rtl/my_adder.v" and d.line == 2 for d in report.errors)
    assert "design.sv" not in " ".join(d.render() for d in report.diagnostics)


def test_name_sources_replaces_whole_names_only() -> None:
    text = "design.sv:2: error; gate.sv, xdesign.sv a/design.sv design.svh"
    mapped = name_sources(text, {"design.sv": "top.v", "gate.sv": "cand.v"})
    assert mapped == "top.v:2: error; cand.v, xdesign.sv a/design.sv design.svh"
