/* Indirect calls through a function-pointer table (call *table(,%reg,4)),
 * with a target that changes on every call in a repeating pattern. */
#include "bench.h"

typedef u32 (*op_fn)(u32, u32);
__attribute__((noinline, noclone)) static u32 op0(u32 a, u32 b) { return a + b; }
__attribute__((noinline, noclone)) static u32 op1(u32 a, u32 b) { return a - b; }
__attribute__((noinline, noclone)) static u32 op2(u32 a, u32 b) { return a * 3 + b; }
__attribute__((noinline, noclone)) static u32 op3(u32 a, u32 b) { return a ^ b; }
__attribute__((noinline, noclone)) static u32 op4(u32 a, u32 b) { return (a << 3 | a >> 29) + b; }
__attribute__((noinline, noclone)) static u32 op5(u32 a, u32 b) { return a + (b ^ 0x5a5a5a5a); }
__attribute__((noinline, noclone)) static u32 op6(u32 a, u32 b) { return ~a + b; }
__attribute__((noinline, noclone)) static u32 op7(u32 a, u32 b) { return a * 2654435761u ^ b; }

/* Not const and not static: the compiler cannot devirtualise the calls. */
op_fn bench_ops[8] = {op0, op1, op2, op3, op4, op5, op6, op7};

int main(int argc, char** argv) {
    u32 n = bench_iterations(argc, argv, 150000000);
    u32 x = bench_opaque(7);
    for (u32 i = 0; i < n; ++i) x = bench_ops[i & 7](x, i);
    vx_report("iterations", n);
    vx_report("checksum", x);
    return 0;
}
