/* GEMM on the dot-product accelerator: C[M][N] = A[M][K] * B[K][N] (unsigned elements).
 * Each accelerator operation takes LANES element pairs packed into its a and b inputs and returns
 * their dot product after one clock cycle; the kernel accumulates partial sums across K. */
#include "qm_api.h"
#include <stdint.h>
#include <string.h>

#define MAX_WORDS 64

static void pack(uint32_t* words, int nwords, const int32_t* src, int stride, int count, int width) {
    memset(words, 0, sizeof(uint32_t) * nwords);
    for (int l = 0; l < count; l++) {
        uint64_t v = (uint64_t)(uint32_t)src[(long)l * stride] & ((width == 32) ? 0xffffffffull : ((1ull << width) - 1));
        int bit = l * width;
        words[bit / 32] |= (uint32_t)(v << (bit % 32));
        if ((bit % 32) + width > 32) words[bit / 32 + 1] |= (uint32_t)(v >> (32 - bit % 32));
    }
}

/* Returns accelerator cycles used, or -1 when the accelerator is too wide for this kernel. */
long long gemm_accel(const int32_t* A, const int32_t* B, int64_t* C, int M, int N, int K,
                     int lanes, int width) {
    int nwords = (lanes * width + 31) / 32;
    if (nwords > MAX_WORDS) return -1;
    void* h = qm_new();
    uint32_t wa[MAX_WORDS], wb[MAX_WORDS];
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            int64_t acc = 0;
            for (int k0 = 0; k0 < K; k0 += lanes) {
                int count = (K - k0 < lanes) ? K - k0 : lanes;
                pack(wa, nwords, &A[(long)i * K + k0], 1, count, width);
                pack(wb, nwords, &B[(long)k0 * N + j], N, count, width);
                qm_set_words(h, 0, wa, nwords);
                qm_set_words(h, 1, wb, nwords);
                qm_tick(h);
                acc += (int64_t)qm_get(h, 0);
            }
            C[(long)i * N + j] = acc;
        }
    }
    long long cycles = (long long)qm_cycles(h);
    qm_free(h);
    return cycles;
}
