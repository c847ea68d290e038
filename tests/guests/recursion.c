/* Deep recursion and many calls/returns: the return path of the translator. */
#include "vxguest.h"

__attribute__((noinline)) static u32 fib(u32 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

__attribute__((noinline)) static u32 ackermann(u32 m, u32 n) {
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

/* ~100k frames with a local array each: several MiB of stack. */
__attribute__((noinline)) static u32 deep(u32 depth) {
    volatile u32 pad[8];
    for (int i = 0; i < 8; ++i) pad[i] = depth + i;
    if (depth == 0) return pad[3];
    return deep(depth - 1) + pad[7] - pad[6];
}

int main(int argc, char** argv) {
    (void)argc; (void)argv;
    vx_report("fib25", fib(25));
    vx_report("ackermann_2_300", ackermann(2, 300));
    vx_report("deep100000", deep(100000));
    return 7;
}
