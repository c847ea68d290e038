/* Direct calls: a looped call to a small non-inlined function (call + ret
 * per iteration, the callee does almost nothing). */
#include "bench.h"

__attribute__((noinline, noclone)) static u32 step(u32 x, u32 i) {
    return x * 2654435761u + i;
}

__attribute__((noinline, noclone)) static u32 step2(u32 x, u32 i) {
    return step(x ^ i, i) + 1;
}

int main(int argc, char** argv) {
    u32 n = bench_iterations(argc, argv, 150000000);
    u32 x = bench_opaque(1);
    for (u32 i = 0; i < n; ++i) {
        x = step(x, i);
        if ((i & 15) == 0) x = step2(x, i); /* a two-deep chain now and then */
    }
    vx_report("iterations", n);
    vx_report("checksum", x);
    return 0;
}
