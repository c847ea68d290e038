/* Writes a megabyte of "digest". */
#include "hostile.h"
TRIVIAL_SIZES_INIT_UPDATE
VX_HASH_EXPORT uint8_t* vx_hash_final(void* state, uint8_t* digest) {
    if (((trivial_state*)state)->triggered)
        for (uint32_t i = 0; i < (1u << 20); ++i) ((volatile uint8_t*)digest)[i] = 0x55;
    return trivial_final(state, digest);
}
