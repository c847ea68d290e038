/* Asks for 4 GiB of state: refused when it is loaded. */
#include "hostile.h"
VX_HASH_EXPORT uint32_t vx_hash_state_size(void) { return 0xffffffffu; }
VX_HASH_EXPORT uint32_t vx_hash_digest_size(void) { return 4; }
VX_HASH_EXPORT void vx_hash_init(void* state) { ((trivial_state*)state)->sum = 0; }
VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) { trivial_update(state, data, length); }
VX_HASH_EXPORT uint8_t* vx_hash_final(void* state, uint8_t* digest) { return trivial_final(state, digest); }
