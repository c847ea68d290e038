/* 64-bit arithmetic through libgcc (__udivdi3, __divdi3, __umoddi3, ...). */
#include "vxguest.h"

typedef long long i64;

int main(int argc, char** argv) {
    (void)argc; (void)argv;
    u64 h = 0xcbf29ce484222325ull;
    volatile u64 a = 0xfedcba9876543210ull, b = 0x12345ull;
    for (int i = 0; i < 1000; ++i) {
        u64 q = a / (b + (u64)i);
        u64 r = a % (b + (u64)i * 7 + 1);
        i64 s = (i64)(a ^ ((u64)i << 40)) / (i64)(-(i64)b - i);
        h = (h ^ q ^ r ^ (u64)s) * 0x100000001b3ull;
    }
    vx_report("hash", h);
    vx_report("shift", (a >> 13) | (a << 51));
    return 0;
}
