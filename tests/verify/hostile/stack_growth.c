/* Takes 1 MiB of stack after 1 MiB, for ever: its stack grows into its
 * memory until the memory limit. */
#include "hostile.h"
__attribute__((noinline)) static uint32_t deeper(uint32_t depth) {
    volatile uint8_t frame[1 << 20];
    frame[0] = (uint8_t)depth;
    frame[sizeof frame - 1] = (uint8_t)depth;
    return (depth < 4096 ? deeper(depth + 1) : 0) + frame[0];  /* 4 GiB: never reached */
}
TRIVIAL_SIZES_INIT_FINAL
VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) {
    if (triggers(state, data, length)) ((trivial_state*)state)->sum = deeper(0);
    trivial_update(state, data, length);
}
