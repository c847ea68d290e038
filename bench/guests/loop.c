/* A tight pure-ALU loop: no memory accesses, no calls, one backward branch. */
#include "bench.h"

int main(int argc, char** argv) {
    u32 n = bench_iterations(argc, argv, 200000000);
    u32 a = bench_opaque(0x12345678), b = bench_opaque(0x9abcdef0), c = bench_opaque(0x0badf00d);
    for (u32 i = 0; i < n; ++i) {
        a += b ^ i;
        b = (b << 5 | b >> 27) + c;
        c ^= a * 0x9e3779b1u;
        c = bench_opaque(c); /* keeps gcc from vectorising or strength-reducing the loop */
    }
    vx_report("iterations", n);
    vx_report_hex("a", a);
    vx_report_hex("b", b);
    vx_report_hex("c", c);
    return 0;
}
