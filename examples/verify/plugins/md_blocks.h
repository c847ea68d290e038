/* The Merkle-Damgard framing MD5, SHA-1 and SHA-256 share: input gathered
 * into 64-byte blocks for the algorithm's compression function, and the
 * last block padded with 0x80, zeros and the message's length in bits
 * (little-endian for MD5, big-endian for the SHAs). Each plug-in's
 * vx_hash_update and vx_hash_final call these with its own compress, which
 * gcc inlines here. */
#ifndef MD_BLOCKS_H
#define MD_BLOCKS_H

#include <stdint.h>

typedef struct {
    uint64_t length; /* bytes hashed so far */
    uint32_t used;   /* bytes waiting in block */
    uint8_t block[64];
} md_blocks;

typedef void (*md_compress)(uint32_t* h, const uint8_t* block);

static inline void md_start(md_blocks* b) {
    b->length = 0;
    b->used = 0;
}

static inline void md_update(md_blocks* b, uint32_t* h, md_compress compress, const uint8_t* data,
                             uint32_t length) {
    b->length += length;
    if (b->used) {
        while (length && b->used < 64) b->block[b->used++] = *data++, --length;
        if (b->used < 64) return;
        compress(h, b->block);
        b->used = 0;
    }
    for (; length >= 64; data += 64, length -= 64) compress(h, data);
    while (length) b->block[b->used++] = *data++, --length;
}

static inline void md_finish(md_blocks* b, uint32_t* h, md_compress compress, int big_endian_length) {
    const uint64_t bits = b->length * 8;
    b->block[b->used++] = 0x80;
    if (b->used > 56) {
        while (b->used < 64) b->block[b->used++] = 0;
        compress(h, b->block);
        b->used = 0;
    }
    while (b->used < 56) b->block[b->used++] = 0;
    for (int i = 0; i < 8; ++i)
        b->block[56 + i] = (uint8_t)(bits >> (big_endian_length ? 56 - 8 * i : 8 * i));
    compress(h, b->block);
}

#endif
