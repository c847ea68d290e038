/* BLAKE2b-512, unkeyed (RFC 7693), as a vxverify hash plug-in: what b2sum computes. */
#include "vx_hash_plugin.h"
#include "blake2_sigma.h"

typedef struct {
    uint64_t h[8];
    uint64_t t[2];  /* bytes compressed so far, 128 bits */
    uint32_t used;  /* bytes waiting in block: the last block is compressed by final */
    uint8_t block[128];
} blake2b_state;

static const uint64_t iv[8] = {
    0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
    0x510e527fade682d1ull, 0x9b05688c2b3e6c1full, 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull,
};

static inline uint64_t rotr(uint64_t x, unsigned n) { return (x >> n) | (x << (64 - n)); }

static inline uint64_t load64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
    return v;
}

#define G(a, b, c, d, x, y)                                                                                     \
    do {                                                                                                       \
        v[a] = v[a] + v[b] + (x), v[d] = rotr(v[d] ^ v[a], 32), v[c] = v[c] + v[d], v[b] = rotr(v[b] ^ v[c], 24); \
        v[a] = v[a] + v[b] + (y), v[d] = rotr(v[d] ^ v[a], 16), v[c] = v[c] + v[d], v[b] = rotr(v[b] ^ v[c], 63); \
    } while (0)

static void compress(blake2b_state* s, const uint8_t* p, int last) {
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; ++i) m[i] = load64(p + 8 * i);
    for (int i = 0; i < 8; ++i) v[i] = s->h[i], v[i + 8] = iv[i];
    v[12] ^= s->t[0];
    v[13] ^= s->t[1];
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; ++r) {
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

static void count(blake2b_state* s, uint32_t bytes) {
    s->t[0] += bytes;
    if (s->t[0] < bytes) ++s->t[1];
}

VX_HASH_EXPORT uint32_t vx_hash_state_size(void) { return sizeof(blake2b_state); }
VX_HASH_EXPORT uint32_t vx_hash_digest_size(void) { return 64; }

VX_HASH_EXPORT void vx_hash_init(void* state) {
    blake2b_state* s = state;
    for (int i = 0; i < 8; ++i) s->h[i] = iv[i];
    s->h[0] ^= 0x01010000ull ^ 64;  /* depth 1, fanout 1, no key, 64-byte digest */
    s->t[0] = s->t[1] = 0;
    s->used = 0;
}

VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) {
    blake2b_state* s = state;
    while (length) {
        if (s->used == 128) {
            count(s, 128);
            compress(s, s->block, 0);
            s->used = 0;
        }
        if (s->used == 0) {
            /* Whole blocks straight from data, keeping the last one back for final. */
            for (; length > 128; data += 128, length -= 128) {
                count(s, 128);
                compress(s, data, 0);
            }
        }
        while (length && s->used < 128) s->block[s->used++] = *data++, --length;
    }
}

VX_HASH_EXPORT uint8_t* vx_hash_final(void* state, uint8_t* digest) {
    blake2b_state* s = state;
    count(s, s->used);
    while (s->used < 128) s->block[s->used++] = 0;
    compress(s, s->block, 1);
    for (int i = 0; i < 64; ++i) digest[i] = (uint8_t)(s->h[i / 8] >> (8 * (i % 8)));
    return digest;
}
