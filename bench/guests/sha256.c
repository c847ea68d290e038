/* Compute kernel: SHA-256 (FIPS 180-4) over a 64 KiB buffer generated in the
 * guest. Each iteration hashes the buffer and feeds the digest back into its
 * first 32 bytes, so no iteration can be skipped. A known-answer test ("abc")
 * runs first. */
#include "bench.h"

#define BUF_SIZE 65536

static const u32 K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline u32 ror(u32 x, int n) { return x >> n | x << (32 - n); }

static void sha256_block(u32 h[8], const unsigned char* p) {
    u32 w[64];
    for (int i = 0; i < 16; ++i)
        w[i] = (u32)p[4 * i] << 24 | (u32)p[4 * i + 1] << 16 | (u32)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; ++i) {
        u32 s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        u32 s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; ++i) {
        u32 t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        u32 t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha256(const unsigned char* data, u32 len, u32 out[8]) {
    u32 h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    u32 i = 0;
    for (; i + 64 <= len; i += 64) sha256_block(h, data + i);
    unsigned char tail[128];
    u32 rest = len - i, total = rest + 1 + 8 <= 64 ? 64 : 128;
    for (u32 j = 0; j < total; ++j) tail[j] = 0;
    for (u32 j = 0; j < rest; ++j) tail[j] = data[i + j];
    tail[rest] = 0x80;
    u64 bits = (u64)len * 8;
    for (int j = 0; j < 8; ++j) tail[total - 1 - j] = (unsigned char)(bits >> (8 * j));
    sha256_block(h, tail);
    if (total == 128) sha256_block(h, tail + 64);
    for (int j = 0; j < 8; ++j) out[j] = h[j];
}

static unsigned char buf[BUF_SIZE];

int main(int argc, char** argv) {
    u32 n = bench_iterations(argc, argv, 1500);

    static const unsigned char abc[3] = {'a', 'b', 'c'};
    static const u32 abc_digest[8] = {0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223,
                                      0xb00361a3, 0x96177a9c, 0xb410ff61, 0xf20015ad};
    u32 d[8];
    sha256(abc, 3, d);
    for (int j = 0; j < 8; ++j)
        if (d[j] != abc_digest[j]) {
            vx_puts("sha256 known-answer test FAILED\n");
            return 1;
        }

    u32 seed = 0x2545f491;
    for (u32 i = 0; i < BUF_SIZE; ++i) buf[i] = (unsigned char)(bench_rand(&seed) >> 24);
    for (u32 it = 0; it < n; ++it) {
        sha256(buf, BUF_SIZE, d);
        for (int j = 0; j < 8; ++j)
            for (int k = 0; k < 4; ++k) buf[4 * j + k] = (unsigned char)(d[j] >> (24 - 8 * k));
    }
    vx_report("iterations", n);
    vx_report("bytes_hashed", (u64)n * BUF_SIZE);
    for (int j = 0; j < 8; ++j) {
        static const char* names[8] = {"h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7"};
        vx_report_hex(names[j], d[j]);
    }
    return 0;
}
