"""Settings come from the environment over qimeng.toml; mistakes are named with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(__import__("os").environ):
        if key.startswith("QIMENG_"):
            monkeypatch.delenv(key)


def test_defaults_without_any_configuration() -> None:
    s = load_settings()
    assert s.llm_base_url is None
    assert s.run_dir == Path("runs")
    assert s.sandbox.wall_s == 60


def test_toml_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "qimeng.toml").write_text('llm_model = "qwen"\nrun_dir = "out"\n[sandbox]\nwall_s = 5\n')
    s = load_settings()
    assert (s.llm_model, s.run_dir, s.sandbox.wall_s) == ("qwen", Path("out"), 5)


def test_environment_wins_over_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "qimeng.toml").write_text('llm_model = "from-file"\n')
    monkeypatch.setenv("QIMENG_LLM_MODEL", "from-env")
    monkeypatch.setenv("QIMENG_SANDBOX__MEMORY_MB", "1024")
    s = load_settings()
    assert s.llm_model == "from-env"
    assert s.sandbox.memory_mb == 1024


def test_unknown_key_is_named_with_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "qimeng.toml").write_text('llm_modle = "typo"\n')
    with pytest.raises(ConfigError, match=r"unknown setting 'llm_modle' \(known settings: .*llm_model"):
        load_settings()


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "qimeng.toml").write_text("llm_model = \n")
    with pytest.raises(ConfigError, match="qimeng.toml is not valid TOML"):
        load_settings()


def test_bad_value_says_what_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIMENG_SANDBOX__WALL_S", "-3")
    with pytest.raises(ConfigError, match="setting 'sandbox.wall_s': Input should be greater than 0"):
        load_settings()


def test_missing_explicit_config_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIMENG_CONFIG", "/nonexistent/qimeng.toml")
    with pytest.raises(ConfigError, match="QIMENG_CONFIG points to /nonexistent/qimeng.toml"):
        load_settings()


@pytest.mark.parametrize(
    ("var", "message"),
    [
        (
            "QIMENG_LLM_BASEURL",
            "unknown environment variable QIMENG_LLM_BASEURL; did you mean QIMENG_LLM_BASE_URL?",
        ),
        ("QIMENG_SANDBOX_WALL_S", "did you mean QIMENG_SANDBOX__WALL_S?"),
        ("QIMENG_FOO", "unknown environment variable QIMENG_FOO (known settings: QIMENG_CONFIG, "),
        ("QIMENG_SANDBOX__BOGUS", "(known sandbox settings: QIMENG_SANDBOX__WALL_S, "),
    ],
)
def test_mistyped_environment_variable_is_an_error(
    monkeypatch: pytest.MonkeyPatch, var: str, message: str
) -> None:
    monkeypatch.setenv(var, "5")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert message in str(err.value)


def test_garbage_in_a_nested_setting_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QIMENG_SANDBOX", "garbage")
    with pytest.raises(ConfigError, match='field "sandbox".*QIMENG_<FIELD>__<KEY>'):
        load_settings()


def test_run_dir_that_is_a_file_is_refused_before_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "runs").write_text("not a directory")
    monkeypatch.setenv("QIMENG_RUN_DIR", str(tmp_path / "runs"))
    with pytest.raises(ConfigError, match="run_dir .* is a file; set QIMENG_RUN_DIR"):
        load_settings()
