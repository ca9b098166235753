// qimeng design sessions: plain JS, no build step, nothing fetched from outside this server.
"use strict";

let current = null;   // thread id shown
let source = null;    // EventSource of the current thread's run
let nextSeq = 0;      // the next event of the current thread's log not yet shown

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

async function api(method, path, body) {
  const post = method === "POST";
  const res = await fetch(path, {
    method,
    headers: post ? { "Content-Type": "application/json" } : {},
    body: post ? JSON.stringify(body || {}) : undefined,
  });
  const data = await res.json();
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function showError(message) {
  $("thread-status").replaceChildren(el("span", { class: "status-error" }, "error: " + message));
}

async function loadThreads() {
  const threads = await api("GET", "/api/threads");
  $("threads").replaceChildren(...threads.map((t) => {
    const li = el("li", { "data-thread": t.thread, class: t.thread === current ? "current" : "" },
      el("div", {}, t.request.slice(0, 70) || "(empty request)"),
      el("div", { class: "tid" }, `${t.thread} · ${t.status} · ${t.rounds} round(s)`));
    li.addEventListener("click", () => openThread(t.thread));
    return li;
  }));
}

function addEvent(ev) {
  if (ev.type === "agent") {
    const extra = Object.entries(ev.data || {}).filter(([k]) => k !== "spec")
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
    $("events").append(el("li", { "data-agent": ev.agent },
      el("span", { class: "agent" }, ev.agent), " ", ev.event, extra ? ` (${extra})` : ""));
  } else if (ev.type === "pending") {
    $("events").append(el("li", {}, "waiting for your answer: " + ev.pending.question));
  } else if (ev.type === "error") {
    $("events").append(el("li", { class: "status-error" }, "error: " + ev.message));
  } else if (ev.type === "done") {
    $("events").append(el("li", {}, "finished: " + ev.status));
  }
  $("events").scrollTop = $("events").scrollHeight;
}

// Follow the thread's event log from nextSeq; the server closes the stream ("closed") once no run
// of the thread is going on. Each run ends with "end" (then the page shows its outcome).
function follow(thread) {
  if (source) source.close();
  const es = new EventSource(`/api/threads/${thread}/events?from=${nextSeq}`);
  source = es;
  es.onmessage = async (msg) => {
    const ev = JSON.parse(msg.data);
    if (thread !== current || es !== source) return;
    if (ev.seq !== undefined) nextSeq = ev.seq + 1;
    addEvent(ev);
    if (ev.type === "closed") {
      es.close();
      source = null;
    }
    if (ev.type === "agent" && ev.event === "done") await refresh();  // results as they come
    if (ev.type === "end" || ev.type === "closed") {
      await refresh();
      await loadThreads();
    }
  };
}

async function openThread(thread) {
  current = thread;
  nextSeq = 0;
  $("events").replaceChildren();
  $("thread").hidden = false;
  follow(thread);
  await refresh();
  await loadThreads();
}

async function refresh() {
  if (!current) return;
  try {
    render(await api("GET", `/api/threads/${current}`));
  } catch (err) {
    showError(err.message);
  }
}

function cell(v) {
  if (typeof v === "number" && !Number.isInteger(v)) return v.toPrecision(4);
  return typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
}

function table(rows) {
  return el("table", { class: "figures" }, ...Object.entries(rows).map(([k, v]) =>
    el("tr", {}, el("th", {}, k), el("td", {}, cell(v)))));
}

function checksTable(checks) {
  return el("table", { class: "checks" },
    el("tr", {}, el("th", {}, "check"), el("th", {}, "verdict"), el("th", {}, "summary"), el("th", {}, "tool")),
    ...checks.map((c) => el("tr", {}, el("td", {}, c.name),
      el("td", { class: "status-" + c.status }, c.status), el("td", {}, c.summary), el("td", { class: "muted" }, c.tool))));
}

function renderResult(r) {
  const box = el("div", { class: "result", "data-task": r.task },
    el("h3", {}, `${r.task} (${r.kind}, round ${r.round}): `, el("span", { class: "status-" + r.status }, r.status)));
  if (r.skipped) box.append(el("p", {}, "skipped: " + r.skipped));
  if (r.refusal) box.append(el("p", { class: "status-refused" }, "refused: " + r.refusal));
  if (r.why_not) box.append(el("p", { class: "status-fail" }, "why not verified: " + r.why_not));
  if (r.origin) box.append(el("p", { class: "muted" }, `${r.top || ""} ${r.target ? "for " + r.target : ""} by ${r.origin}`));
  if (r.interpretation) box.append(el("p", { class: "interpretation" }, r.interpretation));
  if (r.unread && r.unread.length) box.append(el("p", { class: "muted" }, "not used by that reading: " + r.unread.join("; ")));
  if (r.checks && r.checks.length) box.append(el("h4", {}, "Checks"), checksTable(r.checks));
  if (r.table && Object.keys(r.table.rows || {}).length) box.append(el("h4", {}, r.table.title), table(r.table.rows));
  for (const w of r.waves || []) {
    box.append(el("h4", {}, "Waveform around the first mismatch: " + w.label),
      el("img", { class: "wave", src: "/files/" + w.png, alt: "waveform " + w.label }),
      el("div", {}, el("a", { href: "/files/" + w.vcd, download: "" }, "VCD")));
  }
  if (r.attempts && r.attempts.length) {
    const details = el("details", {}, el("summary", {}, `${r.attempts.length} attempt(s) not kept`));
    for (const a of r.attempts) details.append(el("p", {}, `${a.origin}: ${a.summary}`), checksTable(a.checks));
    box.append(details);
  }
  if (r.source) box.append(el("h4", {}, r.language === "verilog" ? "RTL" : "Kernel source"),
    el("pre", { class: "source", "data-language": r.language }, r.source));
  if (r.files) box.append(el("p", { class: "muted" }, "files: " + r.files));
  return box;
}

function render(view) {
  $("thread-title").textContent = view.request || "(no request yet)";
  const status = [el("span", { class: "status-" + view.status }, view.status), ` · thread ${view.thread} · round ${view.round}`];
  if (view.running) status.push(" · running");
  if (view.stop_reason) status.push(" · " + view.stop_reason);
  if (view.failure) status.push(el("span", { class: "status-error" }, " · last run failed: " + view.failure));
  $("thread-status").replaceChildren(...status);
  const p = view.pending;
  $("pending").hidden = !p || view.running;
  if (p) {
    $("pending").dataset.kind = p.kind;
    $("pending-question").textContent = p.question;
    $("pending-tasks").replaceChildren(...(p.tasks || []).map((t) => el("li", {}, t)));
    $("approval-buttons").hidden = p.kind !== "approval";
    $("answer").placeholder = p.kind === "approval" ? "or say what to change" : "your answer";
  }
  $("resume-btn").hidden = view.running || !!p || !["running"].includes(view.status) && !view.failure;
  const rep = $("report");
  rep.replaceChildren();
  if (view.report) {
    const r = view.report;
    rep.append(el("h3", {}, "Report: ", el("span", { class: "status-" + r.status }, r.status), ` (${r.stop_reason})`));
    rep.append(el("table", { class: "parts" },
      el("tr", {}, el("th", {}, "part"), el("th", {}, "words"), el("th", {}, "served by"), el("th", {}, "status"), el("th", {}, "why")),
      ...r.parts.map((x) => el("tr", {}, el("td", {}, x.part), el("td", {}, x.text), el("td", {}, x.scenario || "—"),
        el("td", { class: "status-" + x.status }, x.status), el("td", {}, x.why)))));
    for (const plot of r.plots) rep.append(el("img", { class: "plot", src: "/files/" + plot, alt: "tradeoff plot" }));
    if (r.markdown) rep.append(el("p", {}, el("a", { href: "/files/" + r.markdown }, "report.md"), ` · ${r.tool_s} s tool time, ${r.tokens} tokens`));
  }
  $("results").replaceChildren(...view.results.map(renderResult));
}

async function answer(text) {
  try {
    await api("POST", `/api/threads/${current}/answer`, { answer: text });
    $("pending").hidden = true;
    follow(current);
  } catch (err) {
    showError(err.message);
  }
}

$("request-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const { thread } = await api("POST", "/api/threads", { request: $("request").value, approve: $("approve").checked });
    await openThread(thread);
  } catch (err) {
    $("thread").hidden = false;
    showError(err.message);
  }
});
$("approve-btn").addEventListener("click", () => answer("yes"));
$("decline-btn").addEventListener("click", () => answer("no"));
$("answer-form").addEventListener("submit", (e) => { e.preventDefault(); answer($("answer").value); $("answer").value = ""; });
$("resume-btn").addEventListener("click", async () => {
  try { await api("POST", `/api/threads/${current}/resume`); follow(current); } catch (err) { showError(err.message); }
});
$("new-thread").addEventListener("click", () => { current = null; $("thread").hidden = true; $("request").focus(); loadThreads(); });
loadThreads();
