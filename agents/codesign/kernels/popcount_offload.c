/* Popcount of an array of 32-bit words, two ways, each counting its ALU operations (the cycle model
 * of agents/codesign/offload.py; loop control is the same in both and not counted).
 *   popcount_software: the SWAR bit count, 13 operations a word.
 *   popcount_offload:  hands chunks of `width` bits (or two words, for a 64-bit unit) to the
 *                      popcount unit's model: extract (shift, mask), write, read, add. */
#include "qm_api.h"
#include <stdint.h>

long long popcount_software(const uint32_t* data, int n, long long* ops) {
    long long total = 0, count = 0;
    for (int i = 0; i < n; i++) {
        uint32_t v = data[i];
        v = v - ((v >> 1) & 0x55555555u);                   /* 3 */
        v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);   /* 4 */
        v = (v + (v >> 4)) & 0x0f0f0f0fu;                   /* 3 */
        v = (v * 0x01010101u) >> 24;                        /* 2 */
        total += v;                                         /* 1 */
        count += 13;
    }
    *ops = count;
    return total;
}

/* Returns the total; *ops gets the kernel's operations, *calls the unit's cycles. -1: bad width. */
long long popcount_offload(const uint32_t* data, int n, int width, long long* ops, long long* calls) {
    if (width < 1 || (width > 32 && width != 64)) return -1;
    void* h = qm_new();
    long long total = 0, count = 0;
    if (width == 64) {
        for (int i = 0; i < n; i += 2) {
            uint32_t w[2] = {data[i], (i + 1 < n) ? data[i + 1] : 0u};
            count += 2;                                      /* pack: shift, or */
            qm_set_words(h, 0, w, 2);
            qm_tick(h);
            total += (long long)qm_get(h, 0);
            count += 3;                                      /* write, read, add */
        }
    } else {
        uint32_t mask = (width == 32) ? 0xffffffffu : ((1u << width) - 1u);
        for (int i = 0; i < n; i++) {
            for (int s = 0; s < 32; s += width) {
                uint32_t chunk = (data[i] >> s) & mask;
                if (width < 32) count += 2;                  /* shift, mask */
                qm_set(h, 0, chunk);
                qm_tick(h);
                total += (long long)qm_get(h, 0);
                count += 3;                                  /* write, read, add */
            }
        }
    }
    *calls = (long long)qm_cycles(h);
    qm_free(h);
    *ops = count;
    return total;
}
