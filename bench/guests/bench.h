/* Helpers shared by the benchmark guests. Everything here is pointer-size
 * agnostic (u32/u64 only), so the same source gives the same output as an
 * i386 guest and as the native x86-64 reference build (bench/native/). */
#ifndef VX_BENCH_H
#define VX_BENCH_H

#include "vxguest.h"

/* argv[1] as a decimal iteration count; `fallback` when there is none. */
static inline u32 bench_iterations(int argc, char** argv, u32 fallback) {
    if (argc < 2) return fallback;
    const char* s = argv[1];
    u64 v = 0;
    if (!*s) goto bad;
    for (; *s; ++s) {
        if (*s < '0' || *s > '9') goto bad;
        v = v * 10 + (u32)(*s - '0');
        if (v > 0xffffffffu) goto bad;
    }
    return (u32)v;
bad:
    vx_puts("usage: ");
    vx_puts(argv[0]);
    vx_puts(" [ITERATIONS]   (a decimal number below 2^32)\n");
    vx_exit(2);
}

/* Hides a value from the optimiser, so loops cannot be folded away. */
static inline u32 bench_opaque(u32 x) {
    __asm__ volatile("" : "+r"(x));
    return x;
}

/* xorshift32: a cheap deterministic generator for test data. */
static inline u32 bench_rand(u32* state) {
    u32 x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

#endif
