/* Indirect calls through tables, switch jump tables, callbacks. */
#include "vxguest.h"

typedef u32 (*op_fn)(u32, u32);
__attribute__((noinline)) static u32 add(u32 a, u32 b) { return a + b; }
__attribute__((noinline)) static u32 sub(u32 a, u32 b) { return a - b; }
__attribute__((noinline)) static u32 mul(u32 a, u32 b) { return a * b; }
__attribute__((noinline)) static u32 xor_(u32 a, u32 b) { return a ^ b; }
static op_fn const ops[] = {add, sub, mul, xor_};

__attribute__((noinline)) static u32 dispatch(u32 selector, u32 v) {
    switch (selector) {  /* dense: gcc emits a jump table (jmp *table(,%eax,4)) */
    case 0: return v + 11;
    case 1: return v * 3;
    case 2: return v ^ 0x5a5a;
    case 3: return v - 7;
    case 4: return v << 2;
    case 5: return v >> 1;
    case 6: return ~v;
    case 7: return v * v;
    default: return v;
    }
}

static void sort(u32* a, int n, int (*less)(u32, u32)) {
    for (int i = 1; i < n; ++i)
        for (int j = i; j > 0 && less(a[j], a[j - 1]); --j) {
            u32 t = a[j]; a[j] = a[j - 1]; a[j - 1] = t;
        }
}
__attribute__((noinline)) static int descending(u32 a, u32 b) { return a > b; }

int main(int argc, char** argv) {
    (void)argc; (void)argv;
    u32 acc = 1;
    for (u32 i = 0; i < 100000; ++i) acc = ops[i & 3](acc, i);
    vx_report("table_calls", acc);
    u32 v = 3;
    for (u32 i = 0; i < 100000; ++i) v = dispatch(i % 9, v) + i;
    vx_report("jump_table", v);
    u32 data[64];
    for (int i = 0; i < 64; ++i) data[i] = (u32)(i * 2654435761u);
    sort(data, 64, descending);
    u32 check = 0;
    for (int i = 0; i < 64; ++i) check = check * 31 + data[i];
    vx_report("sorted", check);
    return 0;
}
