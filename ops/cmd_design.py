"""``qimeng design`` and ``qimeng chat``: the QiMeng hierarchy from the command line.

Only parses arguments, drives a :class:`graphs.session.Session` and prints its stream and report.
Exit codes: 0 done, 1 failed or stopped, 2 usage error (bad request, ambiguous request in one-shot
mode, unknown thread), 130 interrupted (the thread is saved; ``--resume`` continues it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from ops.cluster_option import ClusterOption, session_executor
from ops.exits import QimengGroup
from ops.metrics_option import MetricsOption, MetricsPortOption, start_metrics
from tools.errors import QimengError, UsageError
from tools.settings import get_settings

if TYPE_CHECKING:
    from agents.llm import LLMClient

app = typer.Typer(
    cls=QimengGroup,
    help="The QiMeng hierarchy: plan, design hardware and software together, critique, report.",
)
err = Console(stderr=True)
out = Console()


def describe_event(mode: str, chunk: Any) -> str | None:
    """One line for a stream chunk (agent events and node updates), or None to skip it."""
    if mode == "custom":
        extra = ", ".join(f"{k}={v}" for k, v in chunk.items() if k not in ("agent", "event", "spec"))
        return f"[cyan]{chunk['agent']}[/] {chunk['event']}" + (f" ({extra})" if extra else "")
    if mode == "updates" and "__interrupt__" in chunk:
        return "[yellow]waiting for an answer[/]"
    return None


def print_report(summary: dict[str, Any]) -> None:
    """The final report, briefly: status, each part of the request (done, failed or refused, with its
    choice and why), cost, where the files are."""
    out.print(f"[bold]status:[/] {summary['status']}  ({summary.get('stop_reason') or 'done'})")
    for part in summary.get("parts", []):
        served = part.get("scenario") or "refused"
        line = f"[bold]{part['part']}[/] ({served}): {part['status']}"
        if part.get("chosen"):
            line += f", chose {part['chosen']}"
        out.print(f"{line} - {part['text']}")
        for reason in part.get("reasons", [])[:8] if part["status"] != "refused" else [part["why"]]:
            out.print(f"  - {reason}")
    for line in result_lines(summary):
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    out.print(f"[bold]cost:[/] {summary['tool_s']} s tool time, {summary['tokens']} LLM tokens")
    out.print(
        f"[bold]report:[/] {summary['report']}" + "".join(f"  plot: {p}" for p in summary.get("plots", [])),
        soft_wrap=True,
    )
    out.print(
        f"[bold]run:[/] {Path(summary['report']).parent} (manifest.json, evidence.json)", soft_wrap=True
    )


def result_lines(summary: dict[str, Any]) -> list[str]:
    """What a finished thread made, per result: what it is and its status, how the request was read,
    each check with its verdict, area (hardware) or speed (software), and where its files are."""
    from tools.evidence import Interpretation

    lines: list[str] = []
    for r in summary.get("results", []):
        design = r.get("design") or {}
        what = design.get("top") or " on ".join(x for x in (design.get("kernel"), design.get("target")) if x)
        lines.append(f"{r['task']}: {what or 'result'} {r.get('status')}")
        if r.get("skipped"):
            lines.append(f"  skipped: {r['skipped']}")
        evidence = design.get("evidence") or {}
        if evidence.get("interpretation"):
            reading = Interpretation.model_validate(evidence["interpretation"]).summary()
            if reading:
                lines.append(f"  {reading}")
        for check in evidence.get("checks", []):
            lines.append(f"  {check['name']:<10} {check['status']:<8} {check.get('summary', '')}")
        synth = design.get("synth") or {}
        if synth:
            lines.append(
                f"  area: {synth.get('cell_count', 0)} cells, ~{synth.get('transistors', 0)} transistors, "
                f"{synth.get('flip_flops', 0)} flip-flops, logic depth {synth.get('logic_depth', 0)}"
            )
        timing = design.get("timing") or {}
        if timing:
            rate = (
                f"{timing['gflops']:.2f} GFLOP/s"
                if timing.get("gflops")
                else f"{timing.get('gbs') or 0:.2f} GB/s"
            )
            lines.append(
                f"  speed: median {timing['median_s'] * 1e3:.4f} ms ({rate}) at {timing.get('shape')}"
            )
        if design.get("run_dir"):
            lines.append(f"  files: {design['run_dir']}")
    return lines


def _client(offline: bool) -> tuple[bool, LLMClient | None]:
    from agents.llm import LLMClient, is_configured

    if offline or not is_configured():
        return True, None
    return False, LLMClient()


@app.command("design")
def design_cmd(
    request: Annotated[str, typer.Argument(help="What to design (omit with --resume).")] = "",
    offline: Annotated[
        bool, typer.Option("--offline", help="Deterministic planner and designers, no LLM.")
    ] = False,
    thread: Annotated[str | None, typer.Option("--thread", help="Thread id (default: a new one).")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue --thread from its last checkpoint.")
    ] = False,
    approve: Annotated[bool, typer.Option("--approve", help="Ask before each round of tool work.")] = False,
    max_rounds: Annotated[
        int, typer.Option("--max-rounds", min=1, max=10, help="Planner rounds at most.")
    ] = 3,
    tool_s: Annotated[
        float, typer.Option("--tool-seconds", min=1, help="Tool-time budget in seconds.")
    ] = 900.0,
    run_dir: Annotated[
        Path | None, typer.Option("--run-dir", help="Where sessions.sqlite and runs go.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the final report as JSON.")] = False,
    cluster: ClusterOption = None,
) -> None:
    """Design from one request, streaming what each agent does, then print the report.

    Examples:

      qimeng design "8-bit counter with sync reset" --offline

      qimeng design "softmax kernel for riscv64" --offline

      qimeng design "an 8-bit up counter with enable and synchronous reset, and a layernorm kernel rows=64 cols=512 for aarch64" --offline

      qimeng design "softmax rows=64 cols=512 on every served target" --offline

      qimeng design "an 8-bit popcount unit that a popcount kernel offloads to, at least 2x faster" --offline

      qimeng design "dot-product accelerator with lanes 4,8,16 under an area budget of 6000 cells
      and the GEMM kernel 8x20x8 that uses it" --offline --thread demo1

      qimeng design --thread demo1 --resume      # after Ctrl-C or a crash

    With --approve each round's plan is shown first: answer yes, no, or say what to change
    (e.g. 'make it 12 bits wide instead'); the plan is then made again with it and asked again.
    """
    root = run_dir or get_settings().run_dir
    if resume and not thread:
        raise UsageError("--resume needs --thread ID (the thread to continue)")
    if not resume and not request.strip():
        raise UsageError(
            'empty request; say what to design, e.g. qimeng design "8-bit counter with sync reset"'
        )
    from agents.top import Budget
    from graphs.session import Session

    offline, llm = _client(offline)
    executor = session_executor(cluster)
    session = Session(root, thread, llm=llm, executor=executor)
    err.print(f"thread [bold]{session.thread_id}[/] (resume with --thread {session.thread_id} --resume)")
    try:
        budget = Budget(max_rounds=max_rounds, tool_s=tool_s)
        stream: Any
        if resume:
            stream = iter(()) if session.pending() else session.resume()
        else:
            stream = session.start(request, offline=offline, approve=approve, budget=budget)
        while True:
            for mode, chunk in stream:
                line = describe_event(mode, chunk)
                if line:
                    err.print(line)
            pending = session.pending()
            if pending is None:
                break
            if pending["kind"] == "clarify":
                raise UsageError(pending["question"])
            err.print("\n".join(pending["tasks"]))
            stream = session.resume(ask_approval(pending["question"]))
    except KeyboardInterrupt:
        err.print(
            f"\n[yellow]interrupted[/]; state saved. Resume with: qimeng design --thread {session.thread_id} --resume"
        )
        raise typer.Exit(130) from None
    except UsageError:
        raise
    except QimengError as exc:
        raise QimengError(
            f"{exc}\nthe thread is saved; fix the cause and resume with --thread {session.thread_id} --resume"
        ) from exc
    finally:
        session.close()
        if executor is not None:
            executor.close()
    summary = session_result(root, session.thread_id)
    if as_json:
        print(json.dumps({"thread": session.thread_id, **summary}, indent=2, default=str))
    else:
        print_report(summary)
    raise typer.Exit(0 if summary["status"] == "done" else 1)


def ask_approval(question: str) -> str:
    """The user's answer at an approval: yes (the default), no, or free text that refines the request
    (the plan is made again with it and asked again)."""
    return str(typer.prompt(question, default="yes", err=True))


def session_result(root: Path, thread_id: str) -> dict[str, Any]:
    """The finished thread's report summary (read from its report.json)."""
    from graphs.session import SessionError

    path = root / thread_id / "report.json"
    if not path.is_file():
        raise SessionError(f"thread {thread_id} has no report yet ({path} missing)")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@app.command("chat")
def chat_cmd(
    offline: Annotated[bool, typer.Option("--offline", help="Deterministic planner, no LLM.")] = False,
    run_dir: Annotated[
        Path | None, typer.Option("--run-dir", help="Where sessions.sqlite and runs go.")
    ] = None,
    cluster: ClusterOption = None,
    metrics_port: MetricsPortOption = None,
    metrics: MetricsOption = True,
) -> None:
    """A terminal session: type requests; each becomes a thread that asks before costly steps.

    While it runs, it serves Prometheus metrics on 127.0.0.1 (LLM requests and tokens, tool calls,
    sandbox limits, design outcomes), as a campaign driver does (see 'qimeng ops up').

    Slash commands: /threads, /resume ID, /cost, /approve, /auto, /quit. Example:

      qimeng chat --offline

      > 8-bit counter with sync reset
    """
    from ops.chat import Chat

    offline, llm = _client(offline)
    executor = session_executor(cluster)
    start_metrics(metrics, metrics_port)
    try:
        Chat(run_dir or get_settings().run_dir, offline=offline, llm=llm, executor=executor).loop()
    finally:
        if executor is not None:
            executor.close()


if __name__ == "__main__":
    app()
