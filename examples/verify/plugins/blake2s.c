/* BLAKE2s-256, unkeyed (RFC 7693), as a vxverify hash plug-in. */
#include "vx_hash_plugin.h"
#include "blake2_sigma.h"

typedef struct {
    uint32_t h[8];
    uint32_t t[2];  /* bytes compressed so far, 64 bits */
    uint32_t used;  /* bytes waiting in block: the last block is compressed by final */
    uint8_t block[64];
} blake2s_state;

static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

static inline uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

#define G(a, b, c, d, x, y)                                                                                     \
    do {                                                                                                       \
        v[a] = v[a] + v[b] + (x), v[d] = rotr(v[d] ^ v[a], 16), v[c] = v[c] + v[d], v[b] = rotr(v[b] ^ v[c], 12); \
        v[a] = v[a] + v[b] + (y), v[d] = rotr(v[d] ^ v[a], 8), v[c] = v[c] + v[d], v[b] = rotr(v[b] ^ v[c], 7);   \
    } while (0)

static void compress(blake2s_state* s, const uint8_t* p, int last) {
    uint32_t m[16], v[16];
    for (int i = 0; i < 16; ++i)
        m[i] = p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
    for (int i = 0; i < 8; ++i) v[i] = s->h[i], v[i + 8] = iv[i];
    v[12] ^= s->t[0];
    v[13] ^= s->t[1];
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 10; ++r) {
        const uint8_t* z = sigma[r];
        G(0, 4, 8, 12, m[z[0]], m[z[1]]);
        G(1, 5, 9, 13, m[z[2]], m[z[3]]);
        G(2, 6, 10, 14, m[z[4]], m[z[5]]);
        G(3, 7, 11, 15, m[z[6]], m[z[7]]);
        G(0, 5, 10, 15, m[z[8]], m[z[9]]);
        G(1, 6, 11, 12, m[z[10]], m[z[11]]);
        G(2, 7, 8, 13, m[z[12]], m[z[13]]);
        G(3, 4, 9, 14, m[z[14]], m[z[15]]);
    }
    for (int i = 0; i < 8; ++i) s->h[i] ^= v[i] ^ v[i + 8];
}

static void count(blake2s_state* s, uint32_t bytes) {
    s->t[0] += bytes;
    if (s->t[0] < bytes) ++s->t[1];
}

VX_HASH_EXPORT uint32_t vx_hash_state_size(void) { return sizeof(blake2s_state); }
VX_HASH_EXPORT uint32_t vx_hash_digest_size(void) { return 32; }

VX_HASH_EXPORT void vx_hash_init(void* state) {
    blake2s_state* s = state;
    for (int i = 0; i < 8; ++i) s->h[i] = iv[i];
    s->h[0] ^= 0x01010000u ^ 32;  /* depth 1, fanout 1, no key, 32-byte digest */
    s->t[0] = s->t[1] = 0;
    s->used = 0;
}

VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) {
    blake2s_state* s = state;
    while (length) {
        if (s->used == 64) {
            count(s, 64);
            compress(s, s->block, 0);
            s->used = 0;
        }
        if (s->used == 0) {
            /* Whole blocks straight from data, keeping the last one back for final. */
            for (; length > 64; data += 64, length -= 64) {
                count(s, 64);
                compress(s, data, 0);
            }
        }
        while (length && s->used < 64) s->block[s->used++] = *data++, --length;
    }
}

VX_HASH_EXPORT uint8_t* vx_hash_final(void* state, uint8_t* digest) {
    blake2s_state* s = state;
    count(s, s->used);
    while (s->used < 64) s->block[s->used++] = 0;
    compress(s, s->block, 1);
    for (int i = 0; i < 32; ++i) digest[i] = (uint8_t)(s->h[i / 4] >> (8 * (i % 4)));
    return digest;
}
