/* Locked read-modify-write instructions (lock xadd, lock cmpxchg, cmpxchg8b,
 * xchg); the lock prefix must survive translation. */
#include "vxguest.h"

static volatile u32 counter;
static volatile u64 wide;

int main(int argc, char** argv) {
    (void)argc; (void)argv;
    for (u32 i = 0; i < 1000; ++i) __sync_fetch_and_add(&counter, i);
    vx_report("xadd", counter);
    u32 expected = counter;
    int swapped = __sync_bool_compare_and_swap(&counter, expected, 7u);
    int not_swapped = __sync_bool_compare_and_swap(&counter, expected, 9u);
    vx_report("cmpxchg", (u64)counter * 100 + (u64)swapped * 10 + (u64)not_swapped);
    wide = 0x1122334455667788ull;
    u64 old = __sync_val_compare_and_swap(&wide, 0x1122334455667788ull, 0x99aabbccddeeff00ull);
    vx_report("cmpxchg8b_old", old);
    vx_report("cmpxchg8b_new", wide);
    u32 previous = __atomic_exchange_n(&counter, 1234u, __ATOMIC_SEQ_CST);
    vx_report("xchg", (u64)previous * 10000 + counter);
    return 0;
}
