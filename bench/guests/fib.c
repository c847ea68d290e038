/* Returns: naive recursive Fibonacci, i.e. deep trees of call/ret pairs. The
 * iteration count is how many times fib(FIB_N) is computed. */
#include "bench.h"

#define FIB_N 25 /* 242785 calls each */

__attribute__((noinline, noclone)) static u32 fib(u32 n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char** argv) {
    u32 n = bench_iterations(argc, argv, 1000);
    u64 sum = 0;
    for (u32 i = 0; i < n; ++i) sum += fib(bench_opaque(FIB_N) + (i & 1));
    vx_report("iterations", n);
    vx_report("checksum", sum);
    return 0;
}
