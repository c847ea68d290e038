/* Keeps a count across files in its own static data, and adds it to the
 * sum: run from a reset sandbox each time, the count is always 1, so the
 * same file has the same digest however many came before. */
#include "hostile.h"
static uint32_t files_seen;
VX_HASH_EXPORT uint32_t vx_hash_state_size(void) { return sizeof(trivial_state); }
VX_HASH_EXPORT uint32_t vx_hash_digest_size(void) { return 4; }
VX_HASH_EXPORT void vx_hash_init(void* state) {
    trivial_state* s = state;
    s->sum = ++files_seen;
    s->triggered = s->started = 0;
}
VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) { trivial_update(state, data, length); }
VX_HASH_EXPORT uint8_t* vx_hash_final(void* state, uint8_t* digest) { return trivial_final(state, digest); }
