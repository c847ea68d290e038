/* System call round trips: read(0, buf, 0) and write(1, buf, 0), which do no
 * I/O and both return 0. Run with stdin redirected (bench/run.py uses
 * /dev/null). The iteration count is the number of read+write pairs. */
#include "bench.h"

int main(int argc, char** argv) {
    u32 n = bench_iterations(argc, argv, 200000);
    char buf[4] = {0};
    u32 nonzero = 0;
    for (u32 i = 0; i < n; ++i) {
        if (vx_read(0, buf, 0) != 0) ++nonzero;
        if (vx_write(1, buf, 0) != 0) ++nonzero;
    }
    vx_report("syscalls", 2ull * n);
    vx_report("nonzero_results", nonzero);
    return nonzero != 0;
}
