"""Lint and compile checks: Verilator ``--lint-only -Wall`` and ``iverilog -g2012``.

Tool messages are parsed into :class:`Diagnostic` records (file, line, severity, text) so an agent
can act on them; the raw text is kept too. The source runs only inside the sandbox.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from tools.evidence import Check
from tools.hdl._toolchain import check_source, iverilog, run_tool, verilator
from tools.tracing import tool_span

Severity = Literal["error", "warning", "note"]
DESIGN_FILE = "design.sv"

_VERILATOR_MSG = re.compile(
    r"^%(?P<sev>Error|Warning)(?:-(?P<code>[A-Z0-9_]+))?:\s*(?:(?P<file>[^:\s]+):(?P<line>\d+):(?:\d+:)?)?\s*(?P<text>.*)$"
)
_IVERILOG_MSG = re.compile(
    r"^(?P<file>[^:\s]+):(?P<line>\d+):\s*(?:(?P<sev>error|warning|sorry|syntax error)\b:?)?\s*(?P<text>.*)$"
)


class Diagnostic(BaseModel):
    """One message from a lint or compile tool."""

    tool: str = Field(description="Which tool said it: verilator or iverilog.")
    file: str = Field("", description="Source file named in the message (empty when none).")
    line: int = Field(0, description="1-based line number, 0 when the message names none.")
    severity: Severity = Field(description="error, warning or note.")
    code: str = Field("", description="Tool's message code, e.g. Verilator's WIDTH or UNUSED.")
    text: str = Field(description="The message itself.")

    def render(self) -> str:
        """``file:line: severity[code]: text``, the form agents and humans read."""
        where = f"{self.file}:{self.line}: " if self.file else ""
        code = f"[{self.code}]" if self.code else ""
        return f"{where}{self.severity}{code}: {self.text} ({self.tool})"


class LintReport(BaseModel):
    """Result of linting one source with Verilator and compiling it with iverilog."""

    diagnostics: list[Diagnostic] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list, description="Tools and versions that ran.")
    duration_s: float = 0.0

    @property
    def errors(self) -> list[Diagnostic]:
        """Diagnostics of severity error."""
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        """Diagnostics of severity warning."""
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when no tool reported an error (warnings allowed)."""
        return not self.errors

    def to_check(self) -> Check:
        """The report as evidence: pass when error-free, fail otherwise."""
        status = "pass" if self.ok else "fail"
        summary = f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        return Check(
            name="lint",
            tool=", ".join(self.tools),
            status=status,
            summary=summary,
            details={"diagnostics": [d.render() for d in self.diagnostics[:50]]},
            duration_s=self.duration_s,
        )


def name_sources(text: str, names: Mapping[str, str]) -> str:
    """``text`` with each internal copy's file name replaced by the name the user knows it by.

    The tools run on copies in a private directory (``design.sv``, ``candidate.sv``,
    ``gate.sv``, ...); messages that quote them (``design.sv:2: syntax error``) should name the
    user's file instead. Only whole names are replaced (``xdesign.sv`` and ``a/design.sv`` stay).
    """
    if not names:
        return text
    pattern = re.compile(r"(?<![\w./-])(" + "|".join(map(re.escape, names)) + r")(?![\w.-])")
    return pattern.sub(lambda m: names[m.group(1)], text)


def parse_verilator(text: str) -> list[Diagnostic]:
    """Parse Verilator's ``%Warning-CODE: file:line:col: text`` lines (continuations dropped)."""
    found: list[Diagnostic] = []
    for line in text.splitlines():
        m = _VERILATOR_MSG.match(line.strip())
        if not m or m["text"].startswith("Exiting due to"):
            continue
        sev: Severity = "error" if m["sev"] == "Error" else "warning"
        found.append(
            Diagnostic(
                tool="verilator",
                file=m["file"] or "",
                line=int(m["line"] or 0),
                severity=sev,
                code=m["code"] or "",
                text=m["text"].strip(),
            )
        )
    return found


def parse_iverilog(text: str) -> list[Diagnostic]:
    """Parse iverilog's ``file:line: [error|warning:] text`` lines; unlabelled ones are errors."""
    found: list[Diagnostic] = []
    for line in text.splitlines():
        m = _IVERILOG_MSG.match(line.strip())
        if not m:
            if re.search(r"\berror\b|I give up", line, re.I) and "error(s)" not in line:
                found.append(Diagnostic(tool="iverilog", severity="error", text=line.strip()))
            continue
        label = (m["sev"] or "").lower()
        body = m["text"].strip()
        sev: Severity = "warning" if label == "warning" else "error"
        if label == "syntax error":
            body = f"syntax error {body}".strip()
        if not label and body.lower().startswith(("warning", "note")):
            sev = "warning"
        found.append(
            Diagnostic(tool="iverilog", file=m["file"], line=int(m["line"]), severity=sev, text=body)
        )
    return found


@tool_span("lint", lambda report: "pass" if report.ok else "fail")
def lint(source: str, top: str | None = None, *, wall_s: float = 30.0, name: str | None = None) -> LintReport:
    """Lint ``source`` with Verilator ``--lint-only -Wall`` and compile it with ``iverilog -g2012``.

    Args:
        source: Verilog/SystemVerilog text (untrusted; it runs only in the sandbox).
        top: top module name, passed to both tools when given.
        wall_s: time limit per tool.
        name: the source's name for the user (e.g. its file path), used in the diagnostics
            instead of the internal copy's name.

    Returns:
        a :class:`LintReport`; tool failures become error diagnostics, never exceptions.

    Raises:
        UsageError: when ``source`` is empty, huge or binary.
    """
    text = check_source(source, "the design source")
    start = time.monotonic()
    ver, ivl = verilator(), iverilog()
    diags: list[Diagnostic] = []
    with tempfile.TemporaryDirectory(prefix="qimeng-lint-") as tmp:
        work = Path(tmp)
        (work / DESIGN_FILE).write_text(text, encoding="utf-8")
        vargs = [
            "--lint-only",
            "-Wall",
            "-Wno-fatal",
            "-Wno-DECLFILENAME",
            "-Wno-EOFNEWLINE",
            "-Wno-MULTITOP",
        ]
        vargs += ["--top-module", top] if top else []
        res = run_tool(ver, [*vargs, DESIGN_FILE], work, wall_s=wall_s)
        diags += parse_verilator(res.stderr + res.stdout)
        if not res.ok and not any(d.severity == "error" for d in diags):
            diags.append(Diagnostic(tool="verilator", severity="error", text=f"verilator {res.describe()}"))
        iargs = ["-g2012", "-o", "design.vvp"] + (["-s", top] if top else []) + [DESIGN_FILE]
        res = run_tool(ivl, iargs, work, wall_s=wall_s)
        ivl_diags = parse_iverilog(res.stderr + res.stdout)
        if not res.ok and not any(d.severity == "error" for d in ivl_diags):
            ivl_diags.append(Diagnostic(tool="iverilog", severity="error", text=f"iverilog {res.describe()}"))
        diags += ivl_diags
    if name:
        mapping = {DESIGN_FILE: name}
        diags = [
            d.model_copy(
                update={"file": name_sources(d.file, mapping), "text": name_sources(d.text, mapping)}
            )
            for d in diags
        ]
    return LintReport(diagnostics=diags, tools=[ver.label, ivl.label], duration_s=time.monotonic() - start)
