/* Loops gcc vectorizes with AVX2 and FMA (ymm registers).
 * vx-flags: -O3 -mavx2 -mfma */
#include "vxguest.h"

#define N 4096
static float a[N], b[N], c[N];
static int ia[N], ib[N];

int main(int argc, char** argv) {
    (void)argc; (void)argv;
    for (int i = 0; i < N; ++i) {
        a[i] = (float)i * 0.25f;
        b[i] = (float)(N - i) * 0.5f;
        ia[i] = i * 7;
        ib[i] = (i ^ 0x55) * 3;
    }
    for (int r = 0; r < 50; ++r)
        for (int i = 0; i < N; ++i) c[i] = a[i] * b[i] + c[i] * 0.5f;
    u32 h = 0;
    for (int i = 0; i < N; ++i) h = h * 31 + *(u32*)&c[i];
    vx_report("fma_hash", h);
    long long s = 0;
    for (int i = 0; i < N; ++i) s += (long long)(ia[i] > ib[i] ? ia[i] - ib[i] : ib[i] + ia[i]);
    vx_report("int_sum", (u64)s);
    return 0;
}
