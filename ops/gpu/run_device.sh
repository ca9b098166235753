#!/usr/bin/env bash
# Run the qimeng GPU kernel suite on a CUDA host: bash ops/gpu/run_device.sh OUTDIR [suite flags]
# Needs python3 with torch (CUDA) and triton; nothing else of qimeng is imported.
# Writes OUTDIR/results.json, OUTDIR/results.md and OUTDIR/log.txt, then runs the exploit corpus
# (OUTDIR/corpus.json, corpus_log.txt; exit 1 if an exploit got through). Flags: --dry-run (CPU,
# tiny shapes, no corpus), --reps N, --budget-s S (search seconds per problem), --max-plans N,
# --only PREFIXES.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: bash ops/gpu/run_device.sh OUTDIR [--dry-run] [--reps N] [--budget-s S]" >&2
  exit 2
fi
out="$1"; shift
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mkdir -p "$out"
py="${PYTHON:-python3}"
nvidia-smi >"$out/nvidia-smi.txt" 2>&1 || true
PYTHONPATH="$here/tools/gpu${PYTHONPATH:+:$PYTHONPATH}" "$py" -u -m kit.suite "$out" "$@" 2>&1 | tee "$out/log.txt"
status="${PIPESTATUS[0]}"
# the GPU part of the exploit corpus: every known reward hack must be rejected with its reason
manifest="$here/tests/fixtures/exploits/manifest.json"
if [ -f "$manifest" ] && [[ " $* " != *" --dry-run "* ]]; then
  PYTHONPATH="$here/tools/gpu${PYTHONPATH:+:$PYTHONPATH}" "$py" -u -m kit.corpus "$manifest" "$out" \
    >"$out/corpus_log.txt" 2>&1 || status=1
fi
exit "$status"
