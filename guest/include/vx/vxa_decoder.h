/* The vxa decoder ABI: what a decoder that a vxa archive carries for its
 * members must be (vxa makes zip archives whose members' decoders travel
 * with them, as vx plug-ins; guest/vxa/ has the four vx builds, and
 * `vxa add-codec` takes one of your own).
 *
 * A decoder is a vx plug-in (guest/include/vx/plugin.h, docs/plugins.md):
 * a static i386 ELF executable without libc, built with gcc -m32 -static
 * -nostdlib -fno-pie (cmake/VxPlugin.cmake's VX_PLUGIN_CFLAGS) and linked
 * with the SDK's guest/runtime/plugin.c. It exports one function,
 *
 *   VXA_DECODER uint32_t vxa_decode(void* heap, uint32_t heap_size);
 *
 * which the host finds by name in the file's .symtab (vx::elf_symbol: an
 * STT_FUNC symbol). A stripped decoder must keep that symbol: strip it with
 * `strip --strip-all --keep-symbol=vxa_decode`.
 *
 * One call decodes one member:
 *
 * - vxa_decode reads the member's compressed data with vxa_read and hands
 *   the decoded bytes to vxa_write, then returns VXA_DECODED or an error
 *   below. It decodes the whole input: what follows the compressed data in
 *   the input is reported (VXA_TRAILING_DATA), never silently skipped,
 *   unless the format itself has a place for it (xz's stream padding).
 * - `heap` is heap_size bytes of zeroed, writable memory that the host
 *   mapped for this call: the decoder's only memory beyond its own image
 *   (its .data, .bss and stack). A decoder that needs more returns
 *   VXA_OUT_OF_MEMORY; the host may try again with a larger heap.
 * - Every call starts from the freshly loaded plug-in (the host snapshots
 *   it once loaded and restores it before each member): globals are as the
 *   file says, nothing of the last member is left, and a decoder never
 *   needs to free memory at the end of a call. Within a call it must reuse
 *   what it frees (a stream of many frames or blocks).
 * - No system calls (int $0x80, sysenter, syscall): the host refuses them
 *   and ends the call. Input and output go through the two host functions
 *   only.
 * - The host ends the call itself when the output would exceed the
 *   member's declared size, and when the call exceeds its limits (time,
 *   instructions): a decoder need not guard against either.
 *
 * Host functions (imported by name, plugin.h's VX_HOST_FUNCTION):
 *
 *   uint32_t vxa_read(void* buffer, uint32_t capacity)
 *     copies up to `capacity` bytes of the member's compressed data into
 *     buffer and returns how many: 0 only at the end of the input (a short
 *     read is not the end).
 *   uint32_t vxa_write(const void* data, uint32_t length)
 *     takes `length` bytes of output; returns 0. It costs a switch to the
 *     host: write in large pieces (vx's decoders buffer 256 KiB).
 *
 * VXA_STANDALONE: the same decoder source built as an ordinary program for
 * tests and benchmarks (guest/vxa/standalone.c): vxa_read and vxa_write are
 * read(0) and write(1), and its _start calls vxa_decode with a static heap
 * and exits with the result. That build may be x86-64 as well.
 */
#ifndef VX_VXA_DECODER_H
#define VX_VXA_DECODER_H

#include <stdint.h>

/* vxa_decode's results. */
#define VXA_DECODED 0        /* all of the input was decoded to the output */
#define VXA_CORRUPT 1        /* the data is not valid for this codec */
#define VXA_TRAILING_DATA 2  /* input remains after the compressed stream ended */
#define VXA_TRUNCATED 3      /* the input ended inside the stream */
#define VXA_OUT_OF_MEMORY 4  /* the heap was too small */

#ifdef VXA_STANDALONE
uint32_t vxa_read(void* buffer, uint32_t capacity);
uint32_t vxa_write(const void* data, uint32_t length);
#define VXA_DECODER __attribute__((used, noinline))
#else
#include <vx/plugin.h>
VX_HOST_FUNCTION(uint32_t, vxa_read, (void* buffer, uint32_t capacity));
VX_HOST_FUNCTION(uint32_t, vxa_write, (const void* data, uint32_t length));
/* Marks the definition of vxa_decode: exported, kept in .symtab. */
#define VXA_DECODER VX_EXPORT
#endif

/* The decoder's one export; define it as `VXA_DECODER uint32_t vxa_decode(...)`. */
uint32_t vxa_decode(void* heap, uint32_t heap_size);

#endif
