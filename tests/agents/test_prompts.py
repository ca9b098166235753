"""The prompt-template loader: real Jinja2 files in a temporary agent folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agents.prompts import PromptError, PromptTemplates, prompts_for

DESIGNER = """\
Design {{ module }} for: {{ request }}
{% if feedback %}
Your previous attempt failed:
{{ feedback }}
{% endif %}
Ports:
{% for port in ports %}
- {{ port.name }} [{{ port.width }}]
{% endfor %}
"""


@pytest.fixture
def agent_dir(tmp_path: Path) -> Path:
    """A fake agent package ``<tmp>/hw`` with a module file and ``prompts/``."""
    prompts = tmp_path / "hw" / "prompts"
    prompts.mkdir(parents=True)
    (tmp_path / "hw" / "designer.py").write_text("")
    (prompts / "designer.j2").write_text(DESIGNER)
    (prompts / "judge.j2").write_text("Spec: {{ spec | json }}\n")
    (prompts / "notes.txt").write_text("not a template")
    return tmp_path


def test_render_fills_values_and_leaves_no_blank_lines_for_block_tags(agent_dir: Path) -> None:
    prompts = PromptTemplates.beside(agent_dir / "hw" / "designer.py")
    ports = [{"name": "a", "width": 8}, {"name": "y", "width": 9}]
    text = prompts.render("designer", module="adder", request="add a and b", ports=ports)
    assert text == "Design adder for: add a and b\nPorts:\n- a [8]\n- y [9]\n"


def test_a_value_only_tested_with_if_may_be_given_or_left_out(agent_dir: Path) -> None:
    prompts = PromptTemplates(agent_dir / "hw" / "prompts")
    with_feedback = prompts.render(
        "designer.j2", module="m", request="r", ports=[], feedback="lint: x undriven"
    )
    assert "Your previous attempt failed:\nlint: x undriven\n" in with_feedback
    assert "previous attempt" not in prompts.render("designer", module="m", request="r", ports=[])


def test_a_missing_value_names_the_template_and_what_it_reads(agent_dir: Path) -> None:
    prompts = PromptTemplates(agent_dir / "hw" / "prompts")
    with pytest.raises(PromptError) as info:
        prompts.render("designer", request="r")
    message = str(info.value)
    assert message.startswith(
        f"prompt template designer.j2 ({agent_dir / 'hw' / 'prompts'}) needs a value for module, ports; "
    )
    assert message.endswith("it reads: feedback, module, ports, request")


def test_json_filter_keeps_verilog_operators_readable(agent_dir: Path) -> None:
    prompts = PromptTemplates(agent_dir / "hw" / "prompts")
    text = prompts.render("judge", spec={"expr": "q <= d & en", "width": 4})
    assert text == 'Spec: {\n  "expr": "q <= d & en",\n  "width": 4\n}\n'


def test_names_and_variables(agent_dir: Path) -> None:
    prompts = PromptTemplates(agent_dir / "hw" / "prompts")
    assert prompts.names() == ["designer", "judge"]
    assert prompts.variables("designer") == {"module", "request", "feedback", "ports"}


def test_an_unknown_template_lists_the_known_ones(agent_dir: Path) -> None:
    prompts = PromptTemplates(agent_dir / "hw" / "prompts")
    with pytest.raises(PromptError) as info:
        prompts.render("critic")
    assert str(info.value) == (
        f"no prompt template 'critic' in {agent_dir / 'hw' / 'prompts'}; known templates: designer, judge"
    )
    with pytest.raises(PromptError, match=r"must be a plain file name like 'designer'"):
        prompts.render("../secrets")


def test_a_syntax_error_names_the_file_and_line(agent_dir: Path) -> None:
    bad = agent_dir / "hw" / "prompts" / "broken.j2"
    bad.write_text("line one\n{% if x %}\nunclosed\n")
    prompts = PromptTemplates(agent_dir / "hw" / "prompts")
    with pytest.raises(PromptError) as info:
        prompts.render("broken", x=1)
    assert str(info.value).startswith(f"prompt template {bad} line 3: Unexpected end of template")


def test_missing_directories_and_agents_are_clear_errors(agent_dir: Path) -> None:
    with pytest.raises(PromptError, match=r"prompt directory .*/nowhere does not exist; create it"):
        PromptTemplates(agent_dir / "nowhere")
    assert prompts_for("hw", root=agent_dir).names() == ["designer", "judge"]
    with pytest.raises(PromptError) as info:
        prompts_for("sw", root=agent_dir)
    assert (
        str(info.value) == f"no agent 'sw' with prompt templates under {agent_dir}; agents with prompts: hw"
    )


def test_templates_edited_on_disk_are_picked_up(agent_dir: Path) -> None:
    prompts = PromptTemplates(agent_dir / "hw" / "prompts")
    assert prompts.render("judge", spec=1) == "Spec: 1\n"
    path = agent_dir / "hw" / "prompts" / "judge.j2"
    before = path.stat().st_mtime
    path.write_text("Judge {{ spec }}\n")
    os.utime(path, (before + 5, before + 5))  # a new mtime even on coarse-grained filesystems
    assert PromptTemplates(agent_dir / "hw" / "prompts").render("judge", spec=2) == "Judge 2\n"


def test_a_typo_in_an_attribute_or_arithmetic_on_a_missing_value_is_reported(agent_dir: Path) -> None:
    prompts_dir = agent_dir / "hw" / "prompts"
    (prompts_dir / "ports.j2").write_text("{% for p in ports %}{{ p.nme }}{% endfor %}\n")
    (prompts_dir / "sum.j2").write_text("{{ width + 1 }} bits, {{ style | default('plain') }}\n")
    prompts = PromptTemplates(prompts_dir)
    with pytest.raises(
        PromptError, match=r"ports.j2 \(.*\) 'dict object' has no attribute 'nme'; it reads: ports"
    ):
        prompts.render("ports", ports=[{"name": "a"}])
    assert prompts.render("sum", width=7) == "8 bits, plain\n"
    with pytest.raises(PromptError, match=r"sum.j2 \(.*\) 'width' is undefined; it reads: style, width"):
        prompts.render("sum")
