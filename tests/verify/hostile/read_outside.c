/* Reads beyond the end of guest memory (where the host's own memory might be). */
#include "hostile.h"
TRIVIAL_SIZES_INIT_FINAL
VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) {
    if (triggers(state, data, length)) ((trivial_state*)state)->sum = *(volatile uint32_t*)0xfffff000;
    trivial_update(state, data, length);
}
