/* Writes through a null pointer. */
#include "hostile.h"
TRIVIAL_SIZES_INIT_FINAL
VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) {
    if (triggers(state, data, length)) *(volatile uint32_t*)0 = 0xdeadbeef;
    trivial_update(state, data, length);
}
