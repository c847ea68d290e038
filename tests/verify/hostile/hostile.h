/* Hostile hash plug-ins for tests/verify: each computes a trivial digest (the
 * 32-bit sum of the bytes, little-endian), and misbehaves in one way when the
 * data it is given starts with 'X' (update) or did (final). So a file
 * starting with 'X' makes it misbehave, and the next file shows vxverify
 * going on with it, reset. */
#ifndef HOSTILE_H
#define HOSTILE_H

#include "vx_hash_plugin.h"

typedef struct {
    uint32_t sum;
    uint32_t triggered;
    uint32_t started;
} trivial_state;

static inline int triggers(void* state, const uint8_t* data, uint32_t length) {
    trivial_state* s = state;
    if (!s->started && length) {
        s->started = 1;
        s->triggered = data[0] == 'X';
    }
    return s->triggered;
}

static inline void trivial_update(void* state, const uint8_t* data, uint32_t length) {
    trivial_state* s = state;
    for (uint32_t i = 0; i < length; ++i) s->sum += data[i];
}

static inline uint8_t* trivial_final(void* state, uint8_t* digest) {
    trivial_state* s = state;
    for (int i = 0; i < 4; ++i) digest[i] = (uint8_t)(s->sum >> (8 * i));
    return digest;
}

/* The functions a plug-in that misbehaves only in update shares. */
#define TRIVIAL_SIZES_INIT_FINAL                                                                          \
    VX_HASH_EXPORT uint32_t vx_hash_state_size(void) { return sizeof(trivial_state); }                    \
    VX_HASH_EXPORT uint32_t vx_hash_digest_size(void) { return 4; }                                       \
    VX_HASH_EXPORT void vx_hash_init(void* state) {                                                       \
        trivial_state* s = state;                                                                         \
        s->sum = s->triggered = s->started = 0;                                                           \
    }                                                                                                     \
    VX_HASH_EXPORT uint8_t* vx_hash_final(void* state, uint8_t* digest) { return trivial_final(state, digest); }

#define TRIVIAL_SIZES_INIT_UPDATE                                                                         \
    VX_HASH_EXPORT uint32_t vx_hash_state_size(void) { return sizeof(trivial_state); }                    \
    VX_HASH_EXPORT uint32_t vx_hash_digest_size(void) { return 4; }                                       \
    VX_HASH_EXPORT void vx_hash_init(void* state) {                                                       \
        trivial_state* s = state;                                                                         \
        s->sum = s->triggered = s->started = 0;                                                           \
    }                                                                                                     \
    VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) {               \
        triggers(state, data, length);                                                                    \
        trivial_update(state, data, length);                                                              \
    }

#endif
