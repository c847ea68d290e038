/* A plug-in's hash as a standalone program: reads stdin in 1 MiB chunks
 * through the plug-in's functions and prints the digest in hex, as
 * vxverify would compute it. Built with one plug-in's source, for i386 (run
 * under qemu-i386, or natively where the host can) and for x86-64 (the
 * native baseline of bench/verify_bench.py). */
#include "vxguest.h"
#include "plugins/vx_hash_plugin.h"

enum { kChunk = 1 << 20 };

static uint8_t chunk[kChunk];
static uint64_t state[64 << 10 >> 3];
static uint8_t digest[64];

int main(int argc, char** argv) {
    (void)argc, (void)argv;
    if (vx_hash_state_size() > sizeof state || vx_hash_digest_size() > sizeof digest) return 2;
    vx_hash_init(state);
    for (;;) {
        uint32_t filled = 0;
        int got;
        while (filled < kChunk && (got = vx_read(0, chunk + filled, kChunk - filled)) > 0) filled += (uint32_t)got;
        if (got < 0) return 1;
        vx_hash_update(state, chunk, filled);
        if (filled < kChunk) break;
    }
    vx_hash_final(state, digest);
    char hex[129];
    for (uint32_t i = 0; i < vx_hash_digest_size(); ++i) {
        hex[2 * i] = "0123456789abcdef"[digest[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
    }
    hex[2 * vx_hash_digest_size()] = '\n';
    vx_write(1, hex, 2 * vx_hash_digest_size() + 1);
    return 0;
}
