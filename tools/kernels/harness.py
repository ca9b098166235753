"""The C test harness: a generated ``main()`` that calls one kernel on data from a binary file.

File protocol (little-endian, written and read only by this module):

* input: ``u64 IN_MAGIC, u64 ntrials``, then per trial each scalar as 8 bytes (``i64`` or
  ``f64``) in C order, then each array as ``u64 nbytes`` and its bytes in C order. Outputs are
  sent pre-poisoned, so the harness never decides what "unwritten" looks like.
* check mode writes, per finished trial, ``u64 REC_MAGIC, u64 trial``, then per array a byte
  "guard zones intact" and a byte "input unchanged", then the bytes of each out/inout array;
  ``u64 END_MAGIC`` closes the file. Output is flushed per trial, so a crash names its trial.
* time mode times the first trial and writes ``u64 TIME_MAGIC, u64 calls_per_sample, u64 nsamples``
  and ``nsamples`` doubles: seconds per call. Before each sample (outside its clock) the outputs
  of the input copies it will call are reset to their initial (poisoned) contents. Then come the
  timed buffers, for verification: ``u64 VERIFY_MAGIC, u64 sets`` and, per copy, the flags and
  outputs as in check mode; and, when the file holds a second trial of the same shape, its
  inputs are copied into the same buffers, each copy is called once more, and a second block
  (``VERIFY_MAGIC + 1``) follows. So the timed calls themselves are checked, and an answer
  cached by buffer address is stale in the second block.

Every array lives in its own 64-byte-aligned allocation with 256-byte guard zones on both sides
(and the alignment padding) filled with 0xA5; a write outside the array changes them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tools.kernels.spec import C_SCALAR_TYPES, C_TYPES, KernelSpec

IN_MAGIC = 0x314E494B4D51  # "QMKIN1"
REC_MAGIC = 0x434552424D51  # "QMREC"
END_MAGIC = 0x444E45424D51  # "QMEND"
TIME_MAGIC = 0x454D49544D51  # "QMTIME"
VERIFY_MAGIC = 0x594656524D51  # "QMRVFY"
HARNESS_FILE = "qm_harness.c"
PROTO_FILE = "qm_proto.h"


@dataclass
class Trial:
    """One call of the kernel: scalar values and the initial contents of every array."""

    scalars: dict[str, int | float]
    arrays: dict[str, np.ndarray[Any, Any]]


@dataclass
class TrialRecord:
    """What the harness reported for one finished trial."""

    trial: int
    guards_ok: dict[str, bool] = field(default_factory=dict)
    inputs_unchanged: dict[str, bool] = field(default_factory=dict)
    outputs: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)


def prototype_header(spec: KernelSpec) -> str:
    """A header declaring the kernel, force-included so a mismatched signature fails to compile."""
    return (
        "#include <stdint.h>\n#include <stddef.h>\n"
        f'#ifdef __cplusplus\nextern "C" {{\n#endif\n{spec.prototype()};\n#ifdef __cplusplus\n}}\n#endif\n'
    )


def harness_source(spec: KernelSpec) -> str:
    """The C source of the harness for ``spec`` (check and time modes)."""
    arrays = spec.arrays
    n = len(arrays)
    decls, reads = [], []
    for a in spec.scalars:
        ctype = C_SCALAR_TYPES[a.dtype]
        getter = "qm_f64(in)" if a.dtype.startswith("f") else "(int64_t)qm_u64(in)"
        decls.append(f"    {ctype} s_{a.name};")
        reads.append(f"    s_{a.name} = ({ctype}){getter};")
    call_args = []
    index = {a.name: i for i, a in enumerate(arrays)}
    for a in spec.args:
        if a.role == "scalar":
            call_args.append(f"s_{a.name}")
        else:
            const = "const " if a.role == "in" else ""
            call_args.append(f"({const}{C_TYPES[a.dtype]}*)B[r * {n} + {index[a.name]}].data")
    call = f"{spec.name}({', '.join(call_args)})"
    is_input = ", ".join("1" if a.role == "in" else "0" for a in arrays)
    is_output = ", ".join("1" if a.role in ("out", "inout") else "0" for a in arrays)
    return _TEMPLATE.format(
        proto=spec.prototype(),
        narr=n,
        is_input=is_input,
        is_output=is_output,
        decls="\n".join(decls),
        reads="\n".join(reads),
        call=call,
        in_magic=IN_MAGIC,
        rec_magic=REC_MAGIC,
        end_magic=END_MAGIC,
        time_magic=TIME_MAGIC,
        verify_magic=VERIFY_MAGIC,
    )


def encode_trials(spec: KernelSpec, trials: list[Trial]) -> bytes:
    """The input file for ``trials``: scalars then arrays, in C order."""
    parts = [struct.pack("<QQ", IN_MAGIC, len(trials))]
    for trial in trials:
        for a in spec.scalars:
            value = trial.scalars[a.name]
            parts.append(
                struct.pack("<d", float(value)) if a.dtype.startswith("f") else struct.pack("<q", int(value))
            )
        for a in spec.arrays:
            data = np.ascontiguousarray(trial.arrays[a.name], dtype=a.np_dtype).tobytes()
            parts.append(struct.pack("<Q", len(data)))
            parts.append(data)
    return b"".join(parts)


def decode_records(spec: KernelSpec, trials: list[Trial], data: bytes) -> tuple[list[TrialRecord], bool]:
    """Parse check-mode output: the records of finished trials, and whether the end mark was seen."""
    records: list[TrialRecord] = []
    pos = 0
    arrays = spec.arrays
    while pos + 8 <= len(data):
        (magic,) = struct.unpack_from("<Q", data, pos)
        if magic == END_MAGIC:
            return records, True
        if magic != REC_MAGIC or pos + 16 + 2 * len(arrays) > len(data):
            break
        (trial_no,) = struct.unpack_from("<Q", data, pos + 8)
        pos += 16
        if trial_no >= len(trials):
            break
        rec = TrialRecord(trial=int(trial_no))
        for a in arrays:
            rec.guards_ok[a.name] = data[pos] == 1
            rec.inputs_unchanged[a.name] = data[pos + 1] == 1
            pos += 2
        trial = trials[trial_no]
        complete = True
        for a in spec.outputs:
            template = trial.arrays[a.name]
            size = template.size * a.np_dtype.itemsize
            if pos + size > len(data):
                complete = False
                break
            rec.outputs[a.name] = np.frombuffer(
                data, dtype=a.np_dtype, count=template.size, offset=pos
            ).reshape(template.shape)
            pos += size
        if not complete:
            break
        records.append(rec)
    return records, False


def decode_timing(data: bytes) -> tuple[int, list[float]]:
    """Parse time-mode output: (calls per sample, seconds per call for each sample).

    Raises:
        ValueError: when the file is truncated or not timing output.
    """
    if len(data) < 24:
        raise ValueError("timing output is truncated")
    magic, inner, count = struct.unpack_from("<QQQ", data, 0)
    if magic != TIME_MAGIC or len(data) < 24 + 8 * count:
        raise ValueError("timing output is malformed or truncated")
    return int(inner), list(struct.unpack_from(f"<{count}d", data, 24))


_TEMPLATE = r"""/* Generated by qimeng: check and timing harness. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

{proto};

#define QM_GUARD 256
#define QM_GUARD_BYTE 0xA5
#define QM_NARR {narr}

typedef struct {{ unsigned char *base; unsigned char *data; size_t bytes; }} qm_buf;
static const int qm_is_input[QM_NARR + 1] = {{ {is_input} }};
static const int qm_is_output[QM_NARR + 1] = {{ {is_output} }};

static void qm_die(const char *msg) {{ fprintf(stderr, "harness: %s\n", msg); exit(3); }}
static void qm_read(FILE *f, void *p, size_t n) {{ if (n && fread(p, 1, n, f) != n) qm_die("short input file"); }}
static uint64_t qm_u64(FILE *f) {{ uint64_t v; qm_read(f, &v, 8); return v; }}
static double qm_f64(FILE *f) {{ double v; qm_read(f, &v, 8); return v; }}
static void qm_w64(FILE *f, uint64_t v) {{ fwrite(&v, 8, 1, f); }}
static size_t qm_padded(size_t n) {{ return (n + 63) & ~(size_t)63; }}
static void qm_alloc(qm_buf *b, size_t bytes) {{
    size_t total = qm_padded(bytes) + 2 * QM_GUARD;
    b->base = aligned_alloc(64, total);
    if (!b->base) qm_die("out of memory");
    memset(b->base, QM_GUARD_BYTE, total);
    b->data = b->base + QM_GUARD;
    b->bytes = bytes;
}}
static int qm_guard_ok(const qm_buf *b) {{
    size_t total = qm_padded(b->bytes) + 2 * QM_GUARD;
    for (size_t i = 0; i < QM_GUARD; i++) if (b->base[i] != QM_GUARD_BYTE) return 0;
    for (size_t i = QM_GUARD + b->bytes; i < total; i++) if (b->base[i] != QM_GUARD_BYTE) return 0;
    return 1;
}}
static void qm_dump_sets(FILE *out, qm_buf *B, unsigned char **copy, size_t R) {{
    for (size_t s = 0; s < R; s++) {{
        for (int k = 0; k < QM_NARR; k++) {{
            qm_buf *b = &B[s * QM_NARR + k];
            unsigned char flags[2];
            flags[0] = (unsigned char)qm_guard_ok(b);
            flags[1] = (unsigned char)(!qm_is_input[k] || memcmp(copy[k], b->data, b->bytes) == 0);
            fwrite(flags, 1, 2, out);
        }}
        for (int k = 0; k < QM_NARR; k++)
            if (qm_is_output[k]) fwrite(B[s * QM_NARR + k].data, 1, B[s * QM_NARR + k].bytes, out);
    }}
}}
static double qm_now(void) {{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}}

int main(int argc, char **argv) {{
    if (argc < 4) qm_die("usage: harness check|time IN OUT [samples sets warmup min_sample_s]");
    int timing = strcmp(argv[1], "time") == 0;
    FILE *in = fopen(argv[2], "rb");
    FILE *out = fopen(argv[3], "wb");
    if (!in || !out) qm_die("cannot open the data files");
    if (qm_u64(in) != {in_magic}ULL) qm_die("bad input file");
    uint64_t ntrials = qm_u64(in);
    size_t R = timing && argc > 5 ? (size_t)strtoull(argv[5], NULL, 10) : 1;
    if (R < 1) R = 1;
    qm_buf *B = calloc(R * QM_NARR + 1, sizeof(qm_buf));
    unsigned char *copy[QM_NARR + 1];
{decls}
    for (uint64_t t = 0; t < ntrials; t++) {{
{reads}
        size_t r = 0;
        for (int k = 0; k < QM_NARR; k++) {{
            size_t n = (size_t)qm_u64(in);
            qm_alloc(&B[k], n);
            qm_read(in, B[k].data, n);
            copy[k] = malloc(n + 1);
            memcpy(copy[k], B[k].data, n);
            for (size_t s = 1; s < R; s++) {{
                qm_alloc(&B[s * QM_NARR + k], n);
                memcpy(B[s * QM_NARR + k].data, B[k].data, n);
            }}
        }}
        if (!timing) {{
            {call};
            qm_w64(out, {rec_magic}ULL);
            qm_w64(out, t);
            for (int k = 0; k < QM_NARR; k++) {{
                unsigned char flags[2];
                flags[0] = (unsigned char)qm_guard_ok(&B[k]);
                flags[1] = (unsigned char)(!qm_is_input[k] || memcmp(copy[k], B[k].data, B[k].bytes) == 0);
                fwrite(flags, 1, 2, out);
            }}
            for (int k = 0; k < QM_NARR; k++)
                if (qm_is_output[k]) fwrite(B[k].data, 1, B[k].bytes, out);
            fflush(out);
        }} else {{
            uint64_t samples = argc > 4 ? strtoull(argv[4], NULL, 10) : 30;
            uint64_t warmup = argc > 6 ? strtoull(argv[6], NULL, 10) : 3;
            double min_sample = argc > 7 ? strtod(argv[7], NULL) : 1e-3;
            for (uint64_t w = 0; w < warmup; w++) {{ {call}; r = (r + 1) % R; }}
            uint64_t inner = 1;
            for (;;) {{
                double t0 = qm_now();
                for (uint64_t i = 0; i < inner; i++) {{ {call}; r = (r + 1) % R; }}
                if (qm_now() - t0 >= min_sample || inner >= (1ULL << 30)) break;
                inner *= 2;
            }}
            qm_w64(out, {time_magic}ULL);
            qm_w64(out, inner);
            qm_w64(out, samples);
            for (uint64_t s = 0; s < samples; s++) {{
                for (uint64_t i = 0; i < inner && i < R; i++) {{
                    size_t set = (r + i) % R;
                    for (int k = 0; k < QM_NARR; k++)
                        if (qm_is_output[k]) memcpy(B[set * QM_NARR + k].data, copy[k], B[k].bytes);
                }}
                double t0 = qm_now();
                for (uint64_t i = 0; i < inner; i++) {{ {call}; r = (r + 1) % R; }}
                double per_call = (qm_now() - t0) / (double)inner;
                fwrite(&per_call, 8, 1, out);
            }}
            qm_w64(out, {verify_magic}ULL);
            qm_w64(out, R);
            qm_dump_sets(out, B, copy, R);
            if (ntrials > 1) {{
{reads}
                for (int k = 0; k < QM_NARR; k++) {{
                    size_t n = (size_t)qm_u64(in);
                    if (n != B[k].bytes) qm_die("the second timing trial has another shape");
                    qm_read(in, copy[k], n);
                    for (size_t s = 0; s < R; s++) memcpy(B[s * QM_NARR + k].data, copy[k], n);
                }}
                for (r = 0; r < R; r++) {{ {call}; }}
                qm_w64(out, {verify_magic}ULL + 1);
                qm_w64(out, R);
                qm_dump_sets(out, B, copy, R);
            }}
            fflush(out);
            break;
        }}
        for (size_t k = 0; k < R * QM_NARR; k++) free(B[k].base);
        for (int k = 0; k < QM_NARR; k++) free(copy[k]);
    }}
    if (!timing) qm_w64(out, {end_magic}ULL);
    fclose(out);
    return 0;
}}
"""
