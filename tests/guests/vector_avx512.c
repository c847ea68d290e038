/* AVX-512 in 32-bit code (zmm0-7, opmasks, gathers, scatters, compress),
 * checked against scalar code in the same guest. vx-selfcheck
 * vx-flags: -O2 -mavx512f -mavx512bw -mavx512vl -mavx512dq */
#include <immintrin.h>

#include "vxguest.h"

static int has_avx512(void) {
    u32 a, b, c, d;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    if (!(b & (1u << 16)) || !(b & (1u << 30))) return 0;  /* F, BW */
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    if (!(c & (1u << 27))) return 0;  /* OSXSAVE */
    __asm__("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
    return (a & 0xe6) == 0xe6;  /* the OS saves opmask and zmm state */
}

static int failures;
static void check(const char* what, u32 got, u32 want) {
    if (got == want) return;
    vx_puts("MISMATCH "); vx_puts(what); vx_puts(": "); vx_put_hex(got); vx_puts(" != "); vx_put_hex(want); vx_puts("\n");
    ++failures;
}

static int src[256] __attribute__((aligned(64)));
static int dst[256] __attribute__((aligned(64)));
static int idx[16];

int main(int argc, char** argv) {
    (void)argc; (void)argv;
    if (!has_avx512()) { vx_puts("skipped: this CPU has no AVX-512\n"); return 77; }
    for (int i = 0; i < 256; ++i) src[i] = i * 3 - 100;
    for (int i = 0; i < 16; ++i) idx[i] = (i * 37) % 256;

    __m512i sum = _mm512_setzero_si512();
    for (int i = 0; i < 256; i += 16) sum = _mm512_add_epi32(sum, _mm512_load_si512(&src[i]));
    u32 scalar = 0;
    for (int i = 0; i < 256; ++i) scalar += (u32)src[i];
    check("add_reduce", (u32)_mm512_reduce_add_epi32(sum), scalar);

    __m512i gathered = _mm512_i32gather_epi32(_mm512_loadu_si512(idx), src, 4);
    int g[16];
    _mm512_storeu_si512(g, gathered);
    for (int i = 0; i < 16; ++i) check("gather", (u32)g[i], (u32)src[idx[i]]);

    _mm512_i32scatter_epi32(dst, _mm512_loadu_si512(idx), gathered, 4);
    for (int i = 0; i < 16; ++i) check("scatter", (u32)dst[idx[i]], (u32)src[idx[i]]);

    __mmask16 positive = _mm512_cmpgt_epi32_mask(_mm512_load_si512(&src[32]), _mm512_setzero_si512());
    u32 want_mask = 0;
    for (int i = 0; i < 16; ++i) want_mask |= (u32)(src[32 + i] > 0) << i;
    check("compare_mask", positive, want_mask);

    int packed[16] = {0};
    _mm512_mask_compressstoreu_epi32(packed, positive, _mm512_load_si512(&src[32]));
    int n = 0;
    for (int i = 0; i < 16; ++i)
        if (src[32 + i] > 0) check("compress", (u32)packed[n++], (u32)src[32 + i]);

    /* a masked load at the very end of a mapping must not fault for masked-off lanes */
    __m512i tail = _mm512_maskz_loadu_epi32(0x000f, &src[252]);
    check("masked_tail", (u32)_mm512_reduce_add_epi32(tail), (u32)(src[252] + src[253] + src[254] + src[255]));

    if (failures) return 1;
    vx_puts("avx512 ok\n");
    return 0;
}
