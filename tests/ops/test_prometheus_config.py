"""Prometheus configuration, rules and dashboards are valid; alert rules fire as specified."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from ops.prom import CONFIG_DIR, render_config
from tools import metrics

GRAFANA = Path(__file__).parents[2] / "ops" / "grafana"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60)


def test_rendered_config_passes_promtool(tmp_path: Path) -> None:
    config = render_config(tmp_path, metrics_port=9464, sd_file=tmp_path / "sd.json")
    assert not re.search(r"@[A-Z_]+@", config.read_text())
    res = promtool("check", "config", str(config))
    assert res.returncode == 0, res.stdout + res.stderr


def test_rules_pass_promtool_check() -> None:
    rules = sorted(str(p) for p in (CONFIG_DIR / "rules").glob("*.yml"))
    res = promtool("check", "rules", *rules)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "SUCCESS" in res.stdout


def test_alert_unit_tests_pass_including_campaign_stalled() -> None:
    res = promtool("test", "rules", str(CONFIG_DIR / "tests" / "alerts_test.yml"))
    assert res.returncode == 0, res.stdout + res.stderr
    tests = yaml.safe_load((CONFIG_DIR / "tests" / "alerts_test.yml").read_text())
    tested = {a["alertname"] for t in tests["tests"] for a in t.get("alert_rule_test", [])}
    assert "QimengCampaignStalled" in tested


def test_alert_unit_test_can_fail(tmp_path: Path) -> None:
    """The stalled-campaign test is not vacuous: a run that keeps progressing must not match it."""
    spec = yaml.safe_load((CONFIG_DIR / "tests" / "alerts_test.yml").read_text())
    first = spec["tests"][0]
    first["input_series"][0]["values"] = "0+60x50"  # progress never stops
    first["input_series"][2]["values"] = "0+1x50"
    spec["rule_files"] = [
        str(CONFIG_DIR / "rules" / "recording.yml"),
        str(CONFIG_DIR / "rules" / "alerts.yml"),
    ]
    spec["tests"] = [first]
    broken = tmp_path / "t.yml"
    broken.write_text(yaml.safe_dump(spec))
    res = promtool("test", "rules", str(broken))
    assert res.returncode != 0


def test_every_alert_has_a_runbook_entry() -> None:
    alerts = yaml.safe_load((CONFIG_DIR / "rules" / "alerts.yml").read_text())
    runbook = (CONFIG_DIR / "RUNBOOK.md").read_text()
    headings = {line[3:].strip().lower() for line in runbook.splitlines() if line.startswith("## ")}
    rules = [r for g in alerts["groups"] for r in g["rules"]]
    assert len(rules) == 6
    for rule in rules:
        assert rule["alert"].lower() in headings, f"no runbook entry for {rule['alert']}"
        assert rule["annotations"]["runbook"].endswith("#" + rule["alert"].lower())


def test_dashboards_use_the_datasource_variable_and_known_metrics() -> None:
    known = {m._name for m in vars(metrics).values() if hasattr(m, "_name") and hasattr(m, "_type")}
    recorded = set()
    for group in yaml.safe_load((CONFIG_DIR / "rules" / "recording.yml").read_text())["groups"]:
        recorded |= {r["record"] for r in group["rules"]}
    dashboards = sorted((GRAFANA / "dashboards").glob("*.json"))
    assert len(dashboards) >= 2
    for path in dashboards:
        board = json.loads(path.read_text())
        assert board["templating"]["list"][0]["type"] == "datasource"
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == "${datasource}"
            for target in panel["targets"]:
                for name in re.findall(r"\b(qimeng[:_][a-z0-9_:]+)", target["expr"]):
                    base = re.sub(r"_(total|bucket|sum|count)$", "", name)
                    assert base in known or name in recorded, f"{path.name}: unknown metric {name}"
