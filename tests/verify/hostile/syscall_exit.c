/* Asks for exit(0) with int $0x80. */
#include "hostile.h"
TRIVIAL_SIZES_INIT_FINAL
VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) {
    if (triggers(state, data, length)) __asm__ volatile("int $0x80" : : "a"(1), "b"(0) : "memory");
    trivial_update(state, data, length);
}
