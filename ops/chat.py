"""The ``qimeng chat`` loop: prompt_toolkit reads lines, rich prints the agents' stream.

Each request starts a thread that asks for approval before costly tool work (``/auto`` turns that
off, ``/approve`` turns it back on or approves what is waiting). A pending question (approval or
clarification) is answered by the next line typed. Ctrl-C during a run stops it; the thread is
saved and ``/resume`` continues it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession
from rich.console import Console
from rich.table import Table

from agents.llm import LLMClient
from agents.top import by_agent
from graphs.session import Session, SessionError
from ops.cmd_design import describe_event, result_lines
from tools.errors import QimengError
from tools.executor import Executor
from tools.sandbox import allow_runs

HELP = "commands: /threads  /resume [ID]  /cost  /approve  /auto  /quit  (anything else is a request)"


class Chat:
    """One terminal conversation over the session database under ``root``."""

    def __init__(
        self,
        root: Path,
        *,
        offline: bool,
        llm: LLMClient | None,
        console: Console | None = None,
        executor: Executor | None = None,
    ) -> None:
        self.root = root
        self.offline = offline
        self.llm = llm
        self.executor = executor
        self.console = console or Console()
        self.approve = True
        self.session = Session(root, llm=llm, executor=executor)
        self.started = False

    def loop(self) -> None:
        """Read and handle lines until /quit or end of input."""
        prompt: PromptSession[str] = PromptSession()
        self.console.print(f"qimeng chat ({'offline' if self.offline else 'LLM'} planner). {HELP}")
        while True:
            try:
                line = prompt.prompt("qimeng> ")
            except (EOFError, KeyboardInterrupt):
                break
            if not self.handle(line.strip()):
                break
        self.session.close()
        self.console.print("bye")

    def handle(self, line: str) -> bool:
        """Handle one line; False means quit."""
        allow_runs()  # a Ctrl-C in the previous turn stopped its sandboxed programs, not this turn's
        try:
            return self._handle(line)
        except KeyboardInterrupt:
            self.console.print(
                f"[yellow]stopped[/]; thread {self.session.thread_id} saved, /resume continues it"
            )
        except QimengError as exc:
            self.console.print(f"[red]error:[/] {exc}")
        return True

    def _handle(self, line: str) -> bool:
        if not line:
            return True
        cmd, _, arg = line.partition(" ")
        if cmd in ("/quit", "/exit"):
            return False
        if cmd == "/threads":
            self._threads()
        elif cmd == "/cost":
            self._cost()
        elif cmd == "/auto":
            self.approve = False
            self.console.print("approvals off: new threads run without asking")
            if self._pending_kind() == "approval":
                self._run(self.session.resume("yes"))
        elif cmd == "/approve":
            if self._pending_kind() == "approval":
                self._run(self.session.resume("yes"))
            else:
                self.approve = True
                self.console.print("approvals on: each round asks before running tools")
        elif cmd == "/resume":
            self._resume(arg.strip())
        elif cmd.startswith("/"):
            self.console.print(f"unknown command {cmd}; {HELP}")
        elif self._pending_kind() is not None:
            self._run(self.session.resume(line))
        else:
            if self.started:
                self.session.close()
                self.session = Session(self.root, llm=self.llm, executor=self.executor)
            self.started = True
            self.console.print(f"thread {self.session.thread_id}")
            self._run(self.session.start(line, offline=self.offline, approve=self.approve))
        return True

    def _pending_kind(self) -> str | None:
        if not self.started:
            return None
        pending = self.session.pending()
        return str(pending["kind"]) if pending else None

    def _run(self, stream: Any) -> None:
        for mode, chunk in stream:
            text = describe_event(mode, chunk)
            if text:
                self.console.print(text)
        pending = self.session.pending()
        if pending is not None:
            for task in pending.get("tasks", []):
                self.console.print(f"  {task}")
            self.console.print(f"[bold yellow]?[/] {pending['question']}  (answer, /approve or /auto)")
            return
        report = self.session.result()
        if report is not None:
            self.console.print(f"[bold]{report['status']}[/] ({report.get('stop_reason') or 'done'})")
            for part in report.get("parts", []):
                chosen = part.get("chosen")
                what = f"{chosen} lanes" if isinstance(chosen, int) else chosen
                self.console.print(
                    f"{part['part']} ({part.get('scenario') or 'refused'}): {part['status']}"
                    + (f", chose {what}" if what else "")
                    + (f" ({part['why']})" if part["status"] != "done" else "")
                )
            for line in result_lines(report):
                self.console.print(line, markup=False, highlight=False, soft_wrap=True)
            folder = Path(report["report"]).parent
            self.console.print(
                f"report: {report['report']}  (run {folder}: manifest.json, evidence.json)", soft_wrap=True
            )

    def _resume(self, thread_id: str) -> None:
        if thread_id and thread_id != self.session.thread_id:
            self.session.close()
            self.session = Session(self.root, thread_id, llm=self.llm, executor=self.executor)
        self.started = True
        if not self.session.exists():
            raise SessionError(f"no thread '{self.session.thread_id}'; /threads lists them")
        pending = self.session.pending()
        if pending is not None:
            self.console.print(f"thread {self.session.thread_id} waits: {pending['question']}")
            return
        self.console.print(f"resuming thread {self.session.thread_id}")
        self._run(self.session.resume())

    def _threads(self) -> None:
        table = Table("thread", "status", "rounds", "request")
        for t in self.session.threads():
            table.add_row(t.thread_id, t.status, str(t.rounds), t.request[:60])
        self.console.print(table)

    def _cost(self) -> None:
        if not self.started or not self.session.exists():
            self.console.print("no thread yet")
            return
        table = Table(
            "agent", "steps", "cached", "tool s", "tokens", title=f"cost of thread {self.session.thread_id}"
        )
        for agent, row in sorted(by_agent(self.session.values().get("costs", [])).items()):
            table.add_row(
                agent,
                f"{row['steps']:.0f}",
                f"{row['cached']:.0f}",
                f"{row['tool_s']:.1f}",
                f"{row['tokens']:.0f}",
            )
        self.console.print(table)
