/* Jumps to the host's 64-bit code segment (selector 0x33), the classic way
 * out of 32-bit code. */
#include "hostile.h"
TRIVIAL_SIZES_INIT_FINAL
VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) {
    if (triggers(state, data, length)) __asm__ volatile("ljmp $0x33, $1f\n1:");
    trivial_update(state, data, length);
}
