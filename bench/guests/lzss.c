/* Compute kernel: an LZSS compressor (4 KiB window, hash chains) and its
 * decompressor, round-tripping 64 KiB of generated text-like data per
 * iteration. Every round trip is verified byte for byte. */
#include "bench.h"

#define BUF_SIZE 65536
#define WINDOW 4096 /* offsets 1..4095 fit in 12 bits */
#define MIN_MATCH 3
#define MAX_MATCH 18 /* length - 3 fits in 4 bits */
#define HASH_BITS 12
#define MAX_CHAIN 32
#define NONE 0xffffffffu

static unsigned char input[BUF_SIZE];
static unsigned char packed[BUF_SIZE + BUF_SIZE / 8 + 16];
static unsigned char unpacked[BUF_SIZE];
static u32 head[1u << HASH_BITS];
static u32 prev[BUF_SIZE];

static inline u32 hash3(const unsigned char* p) {
    return ((u32)p[0] << 16 | (u32)p[1] << 8 | p[2]) * 2654435761u >> (32 - HASH_BITS);
}

static inline void insert(const unsigned char* in, u32 n, u32 pos) {
    if (pos + MIN_MATCH > n) return;
    u32 h = hash3(in + pos);
    prev[pos] = head[h];
    head[h] = pos;
}

static u32 compress(const unsigned char* in, u32 n, unsigned char* out) {
    for (u32 i = 0; i < (1u << HASH_BITS); ++i) head[i] = NONE;
    u32 ip = 0, op = 0;
    while (ip < n) {
        u32 flag_pos = op++;
        unsigned char flags = 0;
        for (int bit = 0; bit < 8 && ip < n; ++bit) {
            u32 best_len = 0, best_off = 0;
            if (ip + MIN_MATCH <= n) {
                u32 max = n - ip < MAX_MATCH ? n - ip : MAX_MATCH;
                u32 cand = head[hash3(in + ip)];
                for (int chain = MAX_CHAIN; cand != NONE && ip - cand < WINDOW && chain; --chain) {
                    u32 len = 0;
                    while (len < max && in[cand + len] == in[ip + len]) ++len;
                    if (len > best_len) {
                        best_len = len;
                        best_off = ip - cand;
                        if (len == max) break;
                    }
                    cand = prev[cand];
                }
            }
            if (best_len >= MIN_MATCH) {
                flags |= (unsigned char)(1u << bit);
                out[op++] = (unsigned char)best_off;
                out[op++] = (unsigned char)((best_off >> 8) << 4 | (best_len - MIN_MATCH));
                for (u32 k = 0; k < best_len; ++k) insert(in, n, ip + k);
                ip += best_len;
            } else {
                insert(in, n, ip);
                out[op++] = in[ip++];
            }
        }
        out[flag_pos] = flags;
    }
    return op;
}

/* Returns the decompressed size, or NONE if the stream is malformed. */
static u32 decompress(const unsigned char* in, u32 n, unsigned char* out, u32 cap) {
    u32 ip = 0, op = 0;
    while (ip < n) {
        unsigned char flags = in[ip++];
        for (int bit = 0; bit < 8 && ip < n; ++bit) {
            if (flags >> bit & 1) {
                if (ip + 2 > n) return NONE;
                u32 off = in[ip] | (u32)(in[ip + 1] >> 4) << 8;
                u32 len = (in[ip + 1] & 15u) + MIN_MATCH;
                ip += 2;
                if (off == 0 || off > op || op + len > cap) return NONE;
                for (u32 k = 0; k < len; ++k, ++op) out[op] = out[op - off];
            } else {
                if (op >= cap) return NONE;
                out[op++] = in[ip++];
            }
        }
    }
    return op;
}

static const char* const words[] = {
    "the", "sandbox", "translates", "guest", "code", "into", "host", "instructions", "and",
    "every", "memory", "access", "stays", "inside", "its", "reservation", "of", "four",
    "gigabytes", "while", "system", "calls", "are", "serviced", "by", "vx", "itself", "a",
    "block", "cache", "holds", "translated",
};

/* Text-like data: words from a small vocabulary, numbers, some noise. */
static void generate(unsigned char* out, u32 n, u32 seed) {
    u32 s = seed | 1, i = 0;
    while (i < n) {
        u32 r = bench_rand(&s);
        if ((r & 31) == 0) {
            u32 v = r >> 8;
            do { if (i < n) out[i++] = (unsigned char)('0' + v % 10); v /= 10; } while (v);
        } else if ((r & 63) == 1) {
            if (i < n) out[i++] = (unsigned char)(r >> 24);
        } else {
            const char* w = words[(r >> 5) % (sizeof words / sizeof words[0])];
            while (*w && i < n) out[i++] = (unsigned char)*w++;
        }
        if (i < n) out[i++] = (r >> 12 & 15) == 0 ? '\n' : ' ';
    }
}

int main(int argc, char** argv) {
    u32 n = bench_iterations(argc, argv, 150);
    u64 total_packed = 0;
    u32 fnv = 2166136261u;
    for (u32 it = 0; it < n; ++it) {
        generate(input, BUF_SIZE, 0x9e3779b9u * (it + 1));
        u32 plen = compress(input, BUF_SIZE, packed);
        u32 ulen = decompress(packed, plen, unpacked, BUF_SIZE);
        if (ulen != BUF_SIZE) {
            vx_puts("lzss round trip FAILED: wrong decompressed size\n");
            return 1;
        }
        for (u32 i = 0; i < BUF_SIZE; ++i)
            if (unpacked[i] != input[i]) {
                vx_puts("lzss round trip FAILED: data differs\n");
                return 1;
            }
        total_packed += plen;
        for (u32 i = 0; i < plen; ++i) fnv = (fnv ^ packed[i]) * 16777619u;
    }
    vx_report("iterations", n);
    vx_report("bytes_in", (u64)n * BUF_SIZE);
    vx_report("bytes_packed", total_packed);
    vx_report_hex("packed_fnv1a", fnv);
    return 0;
}
