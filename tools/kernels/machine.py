"""This machine: CPU model, cores, ISA flags, last-level cache, and measured single-core peaks.

Peaks come from two small microbenchmarks built with the native target and run in the sandbox:
a register-resident FMA loop (GFLOP/s, f32) and a vectorized copy loop over a 4 MiB and a
256 MiB buffer (GB/s, read + write). They
are measured once per machine and cached as JSON in ``<run_dir>/machine/``.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field

from tools.errors import QimengError
from tools.settings import SandboxLimits, get_settings
from tools.targets import X86_64

_ISA_FLAGS = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_fp16",
    "amx_tile",
    "asimd",
    "sve",
)


class MachineInfo(BaseModel):
    """What this machine is, as far as kernel timing cares."""

    cpu_model: str = Field(description="CPU model name from /proc/cpuinfo.")
    arch: str = Field(description="platform.machine(), e.g. x86_64.")
    cores: int = Field(description="Logical CPUs online.")
    isa_flags: list[str] = Field(description="Vector ISA flags present (a curated subset).")
    llc_bytes: int = Field(description="Last-level cache size in bytes (0 if unknown).")


class MachinePeaks(BaseModel):
    """Measured single-core peaks used as the roofline."""

    machine: MachineInfo
    fma_gflops: float = Field(description="Peak f32 GFLOP/s of one core (FMA microbenchmark).")
    copy_gbs: float = Field(
        description="Best copy bandwidth of one core, GB/s (read + write), over an in-cache and a large "
        "buffer: an upper bound, so the roofline never rejects an honest result."
    )
    dram_gbs: float = Field(0.0, description="Copy bandwidth of one core over 256 MiB, GB/s (read + write).")

    def roofline_gflops(self, intensity: float) -> float:
        """Attainable GFLOP/s at ``intensity`` flops per byte: min(peak, intensity * bandwidth)."""
        return min(self.fma_gflops, intensity * self.copy_gbs)


def machine_info() -> MachineInfo:
    """Describe this machine from /proc/cpuinfo and sysconf."""
    text = (
        Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        if Path("/proc/cpuinfo").exists()
        else ""
    )
    model = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    flags_line = re.search(r"^(?:flags|Features)\s*:\s*(.+)$", text, re.M)
    flags = set(flags_line.group(1).split()) if flags_line else set()
    llc = 0
    for size_file in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*/size"):
        text_size = size_file.read_text(encoding="utf-8").strip()
        scale = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(text_size[-1:], 1)
        digits = text_size.rstrip("KMG")
        if digits.isdigit():
            llc = max(llc, int(digits) * scale)
    return MachineInfo(
        cpu_model=model.group(1).strip() if model else platform.processor() or "unknown",
        arch=platform.machine(),
        cores=os.cpu_count() or 1,
        isa_flags=[f for f in _ISA_FLAGS if f in flags],
        llc_bytes=llc,
    )


def machine_peaks(cache_dir: Path | None = None, *, refresh: bool = False) -> MachinePeaks:
    """Measured peaks for this machine, from the cache when present.

    Raises:
        QimengError: when a microbenchmark fails to build or run.
    """
    info = machine_info()
    key = hashlib.sha1(info.model_dump_json().encode()).hexdigest()[:12]
    folder = cache_dir or get_settings().run_dir / "machine"
    path = folder / f"peaks-{key}.json"
    if path.is_file() and not refresh:
        return MachinePeaks.model_validate_json(path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="qimeng-peaks-") as tmp:
        fma = _measure(Path(tmp), "fma", _FMA_SRC, ["400000"])
        cached = _measure(Path(tmp), "copy", _COPY_SRC, ["4"])
        dram = _measure(Path(tmp), "copy", _COPY_SRC, ["256"])
    peaks = MachinePeaks(machine=info, fma_gflops=fma, copy_gbs=max(cached, dram), dram_gbs=dram)
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(peaks.model_dump_json(indent=2), encoding="utf-8")
    return peaks


def _measure(workdir: Path, name: str, source: str, args: list[str]) -> float:
    target = X86_64()
    (workdir / f"{name}.c").write_text(source, encoding="utf-8")
    built = target.compile(workdir, [f"{name}.c"], name, extra_flags=["-ffp-contract=fast"])
    if not built.ok:
        raise QimengError(f"the {name} microbenchmark did not compile: {built.log[:400]}")
    limits = SandboxLimits(wall_s=60.0, cpu_s=60, memory_mb=2048)
    best = 0.0
    for _ in range(3):
        run = target.run(workdir, name, args, limits=limits)
        if not run.ok:
            raise QimengError(f"the {name} microbenchmark failed: {run.describe()}: {run.stderr[:300]}")
        best = max(best, float(run.stdout.split()[0]))
    return best


_FMA_SRC = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
typedef float vf __attribute__((vector_size(64)));
#define NACC 12
int main(int argc, char **argv) {
    long iters = atol(argv[1]);
    vf acc[NACC], a, b;
    for (int j = 0; j < 16; j++) { a[j] = 1.0f + 1e-7f * (float)argc; b[j] = 1e-7f * (float)(argc + j); }
    for (int k = 0; k < NACC; k++) acc[k] = b * (float)k;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < NACC; k++) acc[k] = acc[k] * a + b;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    float sink = 0; for (int k = 0; k < NACC; k++) for (int j = 0; j < 16; j++) sink += acc[k][j];
    printf("%f %f\n", (double)iters * NACC * 16 * 2 / s / 1e9, (double)sink);
    return 0;
}
"""

_COPY_SRC = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
int main(int argc, char **argv) {
    size_t mb = (size_t)atol(argv[1]);
    size_t n = mb << 20;
    char *a = malloc(n), *b = malloc(n);
    if (!a || !b) return 2;
    memset(a, argc, n); memset(b, 0, n);
    double best = 0;
    int reps = mb < 64 ? 200 : 6;
    for (int r = 0; r < reps; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        float *src = (float *)(r % 2 ? b : a), *dst = (float *)(r % 2 ? a : b);
        for (size_t i = 0; i < n / sizeof(float); i++) dst[i] = src[i] * 1.0001f;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
        double gbs = 2.0 * (double)n / s / 1e9;
        if (gbs > best) best = gbs;
    }
    printf("%f %d\n", best, (int)(a[n / 2] + b[n / 3]));
    return 0;
}
"""
