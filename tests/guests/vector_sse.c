/* MMX, SSE2-SSE4.2 and string instructions of SSE4.2 (pcmpistri), compared
 * with the reference. vx-flags: -O2 -msse4.2 -mmmx */
#include <immintrin.h>

#include "vxguest.h"

static u32 hash(const void* p, int n) {
    const unsigned char* b = p;
    u32 h = 2166136261u;
    for (int i = 0; i < n; ++i) h = (h ^ b[i]) * 16777619u;
    return h;
}

int main(int argc, char** argv) {
    (void)argc; (void)argv;
    __m64 m = _mm_set_pi16(1, 2, 3, 4);
    __m64 m2 = _mm_mullo_pi16(m, _mm_set_pi16(100, 200, 300, 400));
    m2 = _mm_adds_pi16(m2, m);
    long long mm_result;
    __builtin_memcpy(&mm_result, &m2, 8);
    _mm_empty();
    vx_report("mmx", (u64)mm_result);

    __m128i a = _mm_set_epi32(0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10);
    __m128i b = _mm_shuffle_epi8(a, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    __m128i c = _mm_mullo_epi32(b, _mm_set1_epi32(3));
    c = _mm_max_epu32(c, _mm_set1_epi32(0x10000000));
    vx_report_hex("sse41", hash(&c, 16));

    const char text[16] __attribute__((aligned(16))) = "vx sandbox: hi!";
    __m128i haystack = _mm_load_si128((const __m128i*)text);
    __m128i needle = _mm_setr_epi8(':', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    int at = _mm_cmpistri(needle, haystack, _SIDD_CMP_EQUAL_ANY);
    vx_report("pcmpistri", (u64)at);
    vx_report_hex("crc32", _mm_crc32_u32(0xffffffffu, 0x12345678u));

    __m128d d = _mm_set_pd(2.0, 9.0);
    d = _mm_sqrt_pd(d);
    d = _mm_round_pd(_mm_mul_pd(d, _mm_set1_pd(1000.0)), _MM_FROUND_TO_NEAREST_INT);
    vx_report_hex("sqrt_round", hash(&d, 16));
    return 0;
}
