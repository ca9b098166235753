"""The executor seam in-process: where a call ran, what comes back, and how failures surface."""

from __future__ import annotations

import pytest

from agents.hw import tool_calls
from tools.calls import Call, CallResult, ToolCallFailed
from tools.errors import UsageError
from tools.executor import InProcessExecutor, NoNodeForTarget, call_tool, current_executor, use_executor
from tools.hdl.calls import TOOLSET


def test_a_tool_call_runs_here_and_its_check_says_so() -> None:
    report, check = tool_calls.lint("module top(input a, output y); assign y = ~a; endmodule\n", "top")
    assert report.ok and check.status == "pass"
    assert check.node == "local" and check.node_labels["host"]
    assert set(check.tool_versions) == {"verilator", "iverilog"} and check.target is None
    bad, failed = tool_calls.lint("module top(input a, output y); assign y = ; endmodule\n", "top")
    assert not bad.ok and failed.status == "fail" and failed.node == "local"


def test_a_task_error_keeps_its_type_and_a_bad_task_name_is_a_usage_error() -> None:
    with pytest.raises(KeyError):
        call_tool("tools.hdl.calls:lint_call", {})  # no 'rtl': the task's own exception
    with pytest.raises(UsageError, match="task 'tools.hdl.calls:nothing' does not import"):
        call_tool("tools.hdl.calls:nothing", {})
    lost = CallResult(key="k", ok=False, error="worker died 3 time(s): WorkerCrashedError", node_id="n1")
    with pytest.raises(ToolCallFailed, match="tool call 'k' failed on node n1: worker died 3 time"):
        lost.unwrap()


def test_an_executor_refuses_at_once_what_it_does_not_serve() -> None:
    only = InProcessExecutor(targets={"x86_64"}, toolsets=set())
    with pytest.raises(NoNodeForTarget, match=r"serves target\(s\) riscv64 .*targets served: x86_64"):
        only.run(Call(key="k", task="tools.hdl.calls:lint_call", target="riscv64"))
    with pytest.raises(NoNodeForTarget, match=r"has the tool set\(s\) hdl .*tool sets served: none"):
        only.run(Call(key="k", task="tools.hdl.calls:lint_call", toolset=TOOLSET))


def test_use_executor_installs_one_for_a_block_only() -> None:
    default = current_executor()
    narrow = InProcessExecutor(targets=set())
    with use_executor(narrow):
        assert current_executor() is narrow
        with pytest.raises(NoNodeForTarget):
            call_tool("agents.sw.tool_calls:compile_call", {}, target="x86_64")
    assert current_executor() is default


def nested_tool(args: dict[str, object]) -> dict[str, object]:
    """A task that makes an in-process tool call of its own, as a campaign sample's agent does."""
    from tools.calls import Call
    from tools.executor import InProcessExecutor

    inner = InProcessExecutor().run(Call(key="inner", task="tests.tools.test_executor:leaf_tool"))
    return {"inner_node": inner.node_id}


def leaf_tool(args: dict[str, object]) -> dict[str, object]:
    return {"ran": True}


def test_a_nested_in_process_call_names_the_cluster_node_that_ran_it() -> None:
    from tools.calls import LOCAL_NODE, Call, execute

    on_node = execute(Call(key="outer", task="tests.tools.test_executor:nested_tool"), "ray-node-7f3a")
    assert on_node.value is not None and on_node.value["inner_node"] == "ray-node-7f3a"
    here = execute(Call(key="outer", task="tests.tools.test_executor:nested_tool"), LOCAL_NODE)
    assert here.value is not None and here.value["inner_node"] == LOCAL_NODE
