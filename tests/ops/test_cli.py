"""The qimeng command: doctor reports every tool; user mistakes get one clear line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def qimeng(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("QIMENG_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_doctor_json_reports_every_tool_with_a_version() -> None:
    res = qimeng("doctor", "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    tools = {t["name"]: t for t in report["tools"]}
    for name in (
        "iverilog",
        "verilator",
        "yosys",
        "gcc",
        "aarch64-gcc",
        "riscv64-gcc",
        "clang-19",
        "qemu-aarch64",
        "qemu-riscv64",
        "bwrap",
        "prometheus",
    ):
        assert tools[name]["version"], f"{name} has no version"
        assert tools[name]["path"]
    assert report["sandbox_ok"] is True
    assert report["healthy"] is True and report["missing"] == []
    assert {"x86_64", "aarch64", "riscv64"} <= set(report["targets"])
    assert report["llm_configured"] is False


def test_doctor_names_an_unreachable_llm(tmp_path: Path) -> None:
    res = qimeng("doctor", "--json", env={"QIMENG_LLM_BASE_URL": "http://127.0.0.1:9/v1"})
    report = json.loads(res.stdout)
    assert report["llm_configured"] is True
    assert report["llm_ok"] is False
    assert res.returncode == 1 and report["healthy"] is False  # a configured endpoint must answer
    assert "127.0.0.1:9" in report["llm_detail"]


def test_malformed_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "qimeng.toml").write_text("llm_model = [\n")
    res = qimeng("doctor", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert res.returncode == 2
    assert "qimeng.toml is not valid TOML" in res.stderr
    assert "Traceback" not in res.stderr


def test_unknown_config_key_lists_the_known_ones(tmp_path: Path) -> None:
    res = qimeng(
        "doctor", cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "QIMENG_CONFIG": str(tmp_path / "none.toml")}
    )
    assert res.returncode == 2
    assert "QIMENG_CONFIG points to" in res.stderr
    (tmp_path / "q.toml").write_text('colour = "blue"\n')
    res = qimeng(
        "doctor", cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "QIMENG_CONFIG": str(tmp_path / "q.toml")}
    )
    assert res.returncode == 2
    assert "unknown setting 'colour'" in res.stderr and "llm_base_url" in res.stderr


def test_unknown_command_is_a_usage_error() -> None:
    res = qimeng("frobnicate")
    assert res.returncode == 2
    assert "No such command" in res.stderr
    assert "Traceback" not in res.stderr


def test_version_is_printed() -> None:
    res = qimeng("--version")
    assert res.returncode == 0 and res.stdout.startswith("qimeng ")


def test_a_mistyped_environment_variable_stops_any_command_before_work() -> None:
    res = qimeng(
        "hw",
        "design",
        "8-bit up counter with synchronous reset",
        "--offline",
        env={"QIMENG_LLM_BASEURL": "x"},
    )
    assert res.returncode == 2
    assert "did you mean QIMENG_LLM_BASE_URL?" in res.stderr
    assert "Traceback" not in res.stderr


def test_ops_up_refuses_a_busy_port_and_a_data_file(tmp_path: Path) -> None:
    import socket

    (tmp_path / "data").write_text("a file")
    res = qimeng("ops", "up", "--data", str(tmp_path / "data"))
    assert res.returncode == 2 and "is a file; give a directory" in res.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        res = qimeng("ops", "up", "--port", str(port), "--data", str(tmp_path / "prom"))
    assert res.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use; choose another with --port" in res.stderr
    assert "Traceback" not in res.stderr


def test_a_refusal_under_json_is_also_json_on_stdout(tmp_path: Path) -> None:
    """A script reading stdout sees why there is no result; the line on stderr stays."""
    res = qimeng(
        "sw", "design", "gemm 0x4x4 fp32", "--offline", "--json", env={"QIMENG_RUN_DIR": str(tmp_path)}
    )
    assert res.returncode == 2 and "error:" in res.stderr and "Traceback" not in res.stderr
    err = json.loads(res.stdout)
    assert err["kind"] == "usage" and err["exit_code"] == 2 and "M=0" in err["error"]
    plain = qimeng("sw", "design", "gemm 0x4x4 fp32", "--offline", env={"QIMENG_RUN_DIR": str(tmp_path)})
    assert plain.returncode == 2 and plain.stdout == ""
