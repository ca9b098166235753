#!/usr/bin/env bash
# A small qimeng campaign end to end on a bare CUDA host, the GPU serving as a Ray worker:
#   bash ops/gpu/campaign_on_device.sh OUTDIR
# The host needs python3 (3.12) with torch (CUDA) and Triton. qimeng's dependencies (.whl/*.whl) and
# Ray 2.60 (.raypack/*.whl and .raypack/ray.tar.xz, a pruned site-packages tree) go into a private
# folder, nothing system-wide. A Ray head starts there declaring target_cuda (one unit per GPU, so one
# CUDA sample at a time: timings are not shared) and target_x86_64; `qimeng campaign run` drives a
# campaign of kernel requests (sw-design: GPU and CPU) on it and is killed (SIGKILL, as a crash) after
# a few samples, then resumed with --resume; the driver's /metrics is scraped while it runs. Then the
# GPU-only test of tests/cluster/test_sw_campaign.py runs (if time is left).
# Writes at most 8 files to OUTDIR: log.txt (every step, with diagnostics), campaign.yaml,
# report.json (qimeng campaign report --json), results.json (the store's rows), metrics.txt (the last
# /metrics scrape of each driver), ray_status.txt (`ray status` and the nodes' resources and labels),
# gpu_test.txt (pytest), ray_logs.txt (tails of Ray's logs, only when something failed).
# CAMPAIGN_DRY_RUN=1 runs the same steps on a host without a GPU on x86_64 requests only, with the
# Python of $PYTHON (default python3) and the Ray it has installed (nothing is installed).
# .devtools/bwrap, when present and the host has no bwrap, is used for the x86_64 sandbox.
set -uo pipefail
if [ $# -lt 1 ]; then
  echo "usage: bash ops/gpu/campaign_on_device.sh OUTDIR" >&2
  exit 2
fi
out="$(mkdir -p "$1" && cd "$1" && pwd)"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here" || exit 1
dry="${CAMPAIGN_DRY_RUN:-0}"
py="${PYTHON:-python3}"
log="$out/log.txt"
: >"$log"
exec > >(tee -a "$log") 2>&1
step() { echo "== [$(date -u +%H:%M:%S) +${SECONDS}s] $*"; }
fail() { echo "FAILED: $*"; }

work="$(mktemp -d /tmp/qc-XXXXXX)"  # short: Ray's socket paths have a length limit
site=/tmp/qimeng-campaign-site
head_pid=""
scraper_pid=""
cleanup() {
  [ -n "$scraper_pid" ] && kill "$scraper_pid" 2>/dev/null
  if [ -n "$head_pid" ]; then
    kill -TERM "$head_pid" 2>/dev/null  # ray start --block stops what it started
    for _ in $(seq 20); do kill -0 "$head_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$head_pid" 2>/dev/null
    # leftovers of this head only: processes whose command line names its private directory
    for pid in $(grep -l -s -F "$work" /proc/[0-9]*/cmdline | cut -d/ -f3); do
      [ "$pid" != "$$" ] && kill -KILL "$pid" 2>/dev/null
    done
    head_pid=""
  fi
}
trap cleanup EXIT

step "host"
if [ "$dry" = 1 ]; then echo "dry run: no GPU expected, nothing installed"; fi
nvidia-smi -L 2>&1 || echo "nvidia-smi: none"
echo "cpus $(nproc); $(free -g | awk '/Mem:/ {print $2 " GiB memory"}'); /dev/shm $(df -h /dev/shm | awk 'NR==2 {print $2}')"
for tool in gcc bwrap setpriv; do printf '%s: %s\n' "$tool" "$(command -v "$tool" || echo missing)"; done

if [ "$dry" != 1 ]; then
  step "install qimeng's wheels and Ray into $site"
  rm -rf "$site"
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" \
    .whl/*.whl .raypack/*.whl || { fail "pip install of .whl and .raypack wheels"; exit 1; }
  tar xJf .raypack/ray.tar.xz -C "$site" || { fail "extracting .raypack/ray.tar.xz"; exit 1; }
  export PYTHONPATH="$site:$here"
else
  export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
fi
if ! command -v bwrap >/dev/null && [ -x "$here/.devtools/bwrap" ]; then
  export PATH="$here/.devtools:$PATH"
  echo "bwrap from .devtools: $(bwrap --version 2>&1)"
fi
export QIMENG_RUN_DIR="$work/runs" QIMENG_USE_KNOWLEDGE=0 PYTHONUNBUFFERED=1
export RAY_USAGE_STATS_ENABLED=0 RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO=0
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1

step "imports"
"$py" - <<'EOF' || { fail "imports"; exit 1; }
import importlib, sys
print("python", sys.version.split()[0])
import ray
print("ray", ray.__version__, ray.__file__)
import ray._raylet  # the compiled core
for name in ("torch", "triton", "pydantic", "langgraph", "yaml", "prometheus_client", "matplotlib"):
    try:
        mod = importlib.import_module(name)
        print(name, getattr(mod, "__version__", "?"))
    except Exception as exc:
        print(name, "MISSING:", type(exc).__name__, exc)
try:
    import torch
    print("torch.cuda.is_available()", torch.cuda.is_available(), torch.cuda.device_count())
except Exception as exc:
    print("torch: not usable:", exc)
from ray._private.utils import get_dashboard_dependency_error
err = get_dashboard_dependency_error()
print("Ray dashboard agent:", "full" if err is None else f"minimal ({err}): no Ray node /metrics")
from tools.targets.cuda_kit import kit_unavailable
print("GPU kit:", kit_unavailable() or "available")
EOF

step "sandbox check (the x86_64 samples compile and run in bubblewrap)"
"$py" - <<'EOF' || echo "the sandbox does not work here: x86_64 samples will be recorded as errors"
import tempfile
from pathlib import Path
from tools.sandbox import run_sandboxed
with tempfile.TemporaryDirectory() as tmp:
    res = run_sandboxed(["sh", "-c", "echo sandboxed $(id -u)"], Path(tmp))
    print(f"exit {res.exit_code}", res.stdout.strip(), res.stderr.strip()[-300:])
    assert res.exit_code == 0
EOF

step "Ray head"
token_path="$work/token"
"$py" -c 'import secrets; print(secrets.token_hex(32))' >"$token_path"
export RAY_TMPDIR="$work" RAY_AUTH_MODE=token RAY_AUTH_TOKEN_PATH="$token_path"
read -r gcs_port agent_port client_port metrics_port <<<"$("$py" -c '
import socket
socks = [socket.socket() for _ in range(4)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')"
if [ "$dry" = 1 ]; then
  gpus=0; resources='{"target_x86_64": 10000}'; labels="qimeng.dev/target-x86_64=true"
else
  gpus="$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')"
  resources="{\"target_cuda\": $gpus, \"target_x86_64\": 10000}"
  labels="qimeng.dev/target-cuda=true,qimeng.dev/target-x86_64=true"
fi
cpus=$(( $(nproc) > 8 ? 8 : $(nproc) ))
echo "resources $resources; labels $labels; $cpus CPUs, $gpus GPU(s); GCS port $gcs_port"
"$py" -m ray.scripts.scripts start --head --block --disable-usage-stats --port "$gcs_port" \
  --num-cpus "$cpus" --num-gpus "$gpus" --resources "$resources" --labels "$labels" \
  --include-dashboard false --dashboard-agent-listen-port "$agent_port" \
  --ray-client-server-port "$client_port" --object-store-memory 500000000 >"$work/head.log" 2>&1 &
head_pid=$!
ray_cli() { "$py" -m ray.scripts.scripts "$@"; }
up=0
for _ in $(seq 90); do
  if ! kill -0 "$head_pid" 2>/dev/null; then break; fi
  if ray_cli status 2>/dev/null | grep -q '^ *1 node_'; then up=1; break; fi
  sleep 1
done
if [ "$up" != 1 ]; then
  fail "the Ray head did not come up"; tail -40 "$work/head.log"
  tail -n 30 "$work"/ray/session_latest/logs/*.err "$work"/ray/session_latest/logs/*.out >"$out/ray_logs.txt" 2>&1
  exit 1
fi
tail -5 "$work/head.log"
{ echo "## ray status (head up, before the campaign)"; ray_cli status; } >"$out/ray_status.txt" 2>&1

step "campaign file"
cfile="$work/campaign.yaml"
if [ "$dry" = 1 ]; then
  cat >"$cfile" <<'EOF'
name: dry-sw-campaign
benchmark:
  kind: sw-design
  budget: 1
  requests:
    - gemm 128x128x128
    - softmax 64x512 fp32
samples: 2
targets: [x86_64]
retries: 1
EOF
else
  cat >"$cfile" <<'EOF'
name: h200-sw-campaign
benchmark:
  kind: sw-design
  budget: 1
  requests:
    - gemm 1024x1024x1024
    - {request: gemm 16x4096x14336 bf16, targets: [cuda]}
    - {request: attention batch=4 heads=16 seq=4096 dim=128 causal bf16, targets: [cuda]}
    - {request: softmax 64x512 fp32, targets: [x86_64]}
samples: 2
targets: [cuda, x86_64]
retries: 1
EOF
fi
cp "$cfile" "$out/campaign.yaml"
cat "$cfile"

# the driver's /metrics, scraped every 0.25 s while it runs (the last good scrape is kept)
"$py" - "http://127.0.0.1:$metrics_port/metrics" "$work/scrape.txt" <<'EOF' &
import os, sys, time, urllib.request
url, dest = sys.argv[1], sys.argv[2]
while True:
    try:
        body = urllib.request.urlopen(url, timeout=1).read()
        with open(dest + ".tmp", "wb") as fh:
            fh.write(f"# scraped {time.strftime('%H:%M:%S', time.gmtime())} UTC from {url}\n".encode() + body)
        os.replace(dest + ".tmp", dest)
    except OSError:
        pass
    time.sleep(0.25)
EOF
scraper_pid=$!

rows() {  # samples recorded in the store so far
  "$py" -c 'import sqlite3, sys
try: print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM samples").fetchone()[0])
except Exception: print(0)' "$QIMENG_RUN_DIR/$run_id/results.sqlite"
}
run_id="campaign-$(date -u +%Y%m%d-%H%M%S)"
kill_at=3; [ "$dry" = 1 ] && kill_at=1
step "qimeng campaign run (run $run_id), killed with SIGKILL once $kill_at samples are stored"
"$py" -m ops.cli campaign run "$cfile" --ray-address auto --run-id "$run_id" \
  --metrics-port "$metrics_port" --json >"$work/driver1.json" 2>"$work/driver1.err" &
driver=$!
killed=0
while kill -0 "$driver" 2>/dev/null; do
  if [ "$(rows)" -ge "$kill_at" ] || [ "$SECONDS" -gt 200 ]; then kill -KILL "$driver"; killed=1; break; fi
  sleep 0.5
done
wait "$driver" 2>/dev/null
echo "driver 1: exit $? (killed: $killed), $(rows) sample(s) stored"
tail -5 "$work/driver1.err"
[ -s "$work/driver1.json" ] && cat "$work/driver1.json"
cp "$work/scrape.txt" "$work/scrape1.txt" 2>/dev/null
rm -f "$work/scrape.txt"
"$py" -c 'import json, sys; print("manifest status after the kill:", json.load(open(sys.argv[1]))["status"])' \
  "$QIMENG_RUN_DIR/$run_id/manifest.json"

step "qimeng campaign run --resume $run_id"
timeout $(( SECONDS < 280 ? 340 - SECONDS : 60 )) "$py" -m ops.cli campaign run "$cfile" --ray-address auto --resume "$run_id" \
  --metrics-port "$metrics_port" --json >"$work/driver2.json" 2>"$work/driver2.err"
echo "driver 2: exit $?, $(rows) sample(s) stored"
tail -5 "$work/driver2.err"
cat "$work/driver2.json"
sleep 0.5
kill "$scraper_pid" 2>/dev/null; scraper_pid=""
mv "$work/scrape.txt" "$work/scrape2.txt" 2>/dev/null
{
  for n in 1 2; do
    echo "# ---- driver $n ($([ "$n" = 1 ] && echo "killed after $kill_at samples" || echo resumed)): its last /metrics scrape, qimeng_ series"
    if [ -s "$work/scrape$n.txt" ]; then grep -E '^# scraped|qimeng_' "$work/scrape$n.txt"; else echo "# no scrape"; fi
  done
} >"$out/metrics.txt"
"$py" - >>"$out/metrics.txt" <<'EOF'
import ray, urllib.request
ray.init(address="auto", logging_level="error", log_to_driver=False)
for node in ray.nodes():
    port = node.get("MetricsExportPort") or -1
    print(f"# ---- Ray node {node['NodeID'][:12]}: metrics export port {port}, qimeng_ series of its tasks")
    if port > 0:
        try:
            body = urllib.request.urlopen(f"http://{node['NodeManagerAddress']}:{port}/metrics", timeout=5).read()
            print("\n".join(l for l in body.decode().splitlines() if "qimeng_" in l))
        except OSError as exc:
            print(f"# not scraped: {exc}")
    else:
        print("# none: the node's metrics agent is not running (Ray's minimal install)")
ray.shutdown()
EOF
grep -E '^# ----|^qimeng_(campaign|samples|task)' "$out/metrics.txt"

step "report, status and the store"
"$py" -m ops.cli campaign report "$run_id" --json >"$out/report.json" 2>"$work/report.err" || { fail "report"; cat "$work/report.err"; }
"$py" -m ops.cli campaign status "$run_id" 2>&1
"$py" - "$QIMENG_RUN_DIR/$run_id" "$out/results.json" <<'EOF'
import dataclasses, json, sys
from pathlib import Path
from cluster.store import ResultStore
store = ResultStore(Path(sys.argv[1]))
rows = [dataclasses.asdict(r) for r in store.rows()]
Path(sys.argv[2]).write_text(json.dumps(rows, indent=1))
print(f"{'task':38} {'#':>2} {'status':6} {'passed':6} {'wall_s':>7} {'median_ms':>10} {'GFLOP/s':>9}  ratios / error")
for r in rows:
    v = r["value"] or {}
    med = f"{v['median_s'] * 1e3:.4f}" if v.get("median_s") else "-"
    gf = f"{v['gflops']:.1f}" if v.get("gflops") else "-"
    said = ", ".join(f"{k} {x:.2f}x" for k, x in sorted((v.get("ratios") or {}).items())) or (r["error"] or v.get("why_not") or "")
    print(f"{r['task']:38} {r['sample']:>2} {r['status']:6} {str(r['passed']):6} {r['wall_s']:7.1f} {med:>10} {gf:>9}  {said[:160]}")
print("nodes:", sorted({r["node_id"][:12] for r in rows}))
EOF

step "ray status after the campaign, and the nodes"
{
  echo; echo "## ray status (after the campaign)"; ray_cli status
  echo; echo "## ray.nodes(): resources, labels, metrics export port"
  "$py" -c '
import json, ray
ray.init(address="auto", logging_level="error", log_to_driver=False)
for n in ray.nodes():
    print(json.dumps({k: n.get(k) for k in ("NodeID", "Alive", "NodeManagerAddress", "Resources", "Labels", "MetricsExportPort")}, indent=1))
ray.shutdown()'
} >>"$out/ray_status.txt" 2>&1
cat "$out/ray_status.txt"
if grep -q '"status": "error"' "$out/results.json" 2>/dev/null; then
  tail -n 40 "$work"/ray/session_latest/logs/worker-*.err "$work"/ray/session_latest/logs/raylet.err >"$out/ray_logs.txt" 2>&1
fi
cleanup

if [ "$dry" != 1 ] && [ "$SECONDS" -lt 300 ]; then
  step "the GPU-only test (pytest tests/cluster/test_sw_campaign.py -k cuda)"
  env -u RAY_TMPDIR -u RAY_AUTH_MODE -u RAY_AUTH_TOKEN_PATH QIMENG_RUN_DIR="$work/test-runs" \
    timeout $(( 400 - SECONDS )) "$py" -m pytest -q -p no:cacheprovider -rs tests/cluster/test_sw_campaign.py -k cuda \
    >"$out/gpu_test.txt" 2>&1
  echo "pytest exit $?"; tail -5 "$out/gpu_test.txt"
else
  step "the GPU-only test skipped here (dry run, or too little time left: ${SECONDS}s used)"
fi
step "done"
