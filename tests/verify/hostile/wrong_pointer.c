/* Returns a digest pointer it was not given (its state). */
#include "hostile.h"
TRIVIAL_SIZES_INIT_UPDATE
VX_HASH_EXPORT uint8_t* vx_hash_final(void* state, uint8_t* digest) {
    trivial_final(state, digest);
    return ((trivial_state*)state)->triggered ? (uint8_t*)state : digest;
}
