/* SHA-1 (FIPS 180-4, section 6.1) as a vxverify hash plug-in. */
#include "md_blocks.h"
#include "vx_hash_plugin.h"

typedef struct {
    uint32_t h[5];
    md_blocks blocks;
} sha1_state;

static inline uint32_t rotl(uint32_t x, unsigned n) { return (x << n) | (x >> (32 - n)); }

static void compress(uint32_t h[5], const uint8_t* p) {
    uint32_t w[80];
    for (int i = 0; i < 16; ++i)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; ++i) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
        uint32_t f, k;
        if (i < 20) f = (b & c) | (~b & d), k = 0x5a827999;
        else if (i < 40) f = b ^ c ^ d, k = 0x6ed9eba1;
        else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
        else f = b ^ c ^ d, k = 0xca62c1d6;
        uint32_t t = rotl(a, 5) + f + e + k + w[i];
        e = d, d = c, c = rotl(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

VX_HASH_EXPORT uint32_t vx_hash_state_size(void) { return sizeof(sha1_state); }
VX_HASH_EXPORT uint32_t vx_hash_digest_size(void) { return 20; }

VX_HASH_EXPORT void vx_hash_init(void* state) {
    sha1_state* s = state;
    s->h[0] = 0x67452301, s->h[1] = 0xefcdab89, s->h[2] = 0x98badcfe, s->h[3] = 0x10325476, s->h[4] = 0xc3d2e1f0;
    md_start(&s->blocks);
}

VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) {
    sha1_state* s = state;
    md_update(&s->blocks, s->h, compress, data, length);
}

VX_HASH_EXPORT uint8_t* vx_hash_final(void* state, uint8_t* digest) {
    sha1_state* s = state;
    md_finish(&s->blocks, s->h, compress, 1);
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 4; ++j) digest[4 * i + j] = (uint8_t)(s->h[i] >> (24 - 8 * j));
    return digest;
}
