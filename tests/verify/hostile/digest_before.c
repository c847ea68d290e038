/* Writes its digest, and 16 bytes before it. */
#include "hostile.h"
TRIVIAL_SIZES_INIT_UPDATE
VX_HASH_EXPORT uint8_t* vx_hash_final(void* state, uint8_t* digest) {
    if (((trivial_state*)state)->triggered)
        for (int i = 1; i <= 16; ++i) ((volatile uint8_t*)digest)[-i] = 0x55;
    return trivial_final(state, digest);
}
