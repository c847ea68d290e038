/* The interface every vxverify hash plug-in exports (examples/verify/README.md).
 * A plug-in is a static i386 program (gcc -m32 -static -nostdlib) whose
 * functions the host calls by name; it makes no system call and keeps all of
 * its state in the buffer the host gives it. */
#ifndef VX_HASH_PLUGIN_H
#define VX_HASH_PLUGIN_H

#include <stdint.h>

/* What keeps an exported function in the program, by its own name: the
 * guest SDK's VX_EXPORT; in the bench's native x86-64 build of the same
 * source (bench/verify_bench.py), which the SDK does not build, the same
 * attributes. */
#if defined(__i386__)
#include <vx/plugin.h>
#define VX_HASH_EXPORT VX_EXPORT
#else
#define VX_HASH_EXPORT __attribute__((used, noinline, visibility("default")))
#endif

/* Bytes of state the host gives vx_hash_init (at most 64 KiB). */
uint32_t vx_hash_state_size(void);
/* Bytes of digest vx_hash_final writes (1 to 64). */
uint32_t vx_hash_digest_size(void);
void vx_hash_init(void* state);
void vx_hash_update(void* state, const uint8_t* data, uint32_t length);
/* Writes the digest at `digest` and returns `digest`. */
uint8_t* vx_hash_final(void* state, uint8_t* digest);

#endif
