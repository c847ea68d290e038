/* x87 and SSE2 arithmetic; results printed as raw bits so any rounding
 * difference shows. vx-flags: -msse2 -mfpmath=sse */
#include "vxguest.h"

static u64 bits(double d) { union { double d; u64 u; } x = {d}; return x.u; }

__attribute__((noinline)) static double x87_poly(double x) {
    long double acc = 0;  /* long double stays on the x87 stack */
    for (int i = 0; i < 20; ++i) acc = acc * (long double)x + (long double)(i + 1) / 7.0L;
    return (double)acc;
}

__attribute__((noinline)) static double x87_sqrt(double x) {
    double r;
    __asm__("fsqrt" : "=t"(r) : "0"(x));
    return r;
}

int main(int argc, char** argv) {
    (void)argc; (void)argv;
    double sum = 0;
    for (int i = 1; i <= 1000; ++i) sum += 1.0 / ((double)i * (double)i);
    vx_report("basel_sse", bits(sum));
    vx_report("x87_poly", bits(x87_poly(0.37)));
    vx_report("x87_sqrt2", bits(x87_sqrt(2.0)));
    float f = 1.0f;
    for (int i = 0; i < 100; ++i) f = f * 1.0001f + 0.5f / (float)(i + 1);
    vx_report("float", (u64)(*(u32*)&f));
    volatile double big = 3.9e9;
    vx_report("to_int", (u64)(unsigned)(big));
    vx_report("neg_to_ll", (u64)(long long)(-1234567.89));
    return 0;
}
