/* What vxa's decoders need without a libc (guest/vxa/runtime.c): an
 * allocator over the heap vxa_decode is given, the string functions the
 * codec libraries call, and the decoders' input and output buffers.
 *
 * The codec sources include the C library's own headers (<string.h>,
 * <stdlib.h>) for the prototypes; the definitions are these. Built for
 * i386 (the plug-ins) and x86-64 (the native benchmark baselines). */
#ifndef VXA_RUNTIME_H
#define VXA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/* Sets the runtime up for a call of vxa_decode: the allocator over its
 * heap, the buffers empty. Every vxa_decode starts with it. */
void vxa_begin(void* heap, size_t heap_size);

/* The allocator: malloc, calloc, realloc and free over the heap given to
 * vxa_begin (vxa_decode's: zeroed memory). First fit
 * from a free list kept in address order, neighbours merged when freed;
 * what no free block fits is cut from the untouched rest. Blocks are
 * 16-byte aligned. calloc clears only memory that was handed out before:
 * the rest is still the heap's zeros, and stays untouched. */
void* malloc(size_t size);
void* calloc(size_t count, size_t size);
void* realloc(void* pointer, size_t size);
void free(void* pointer);

/* rep movs/stos for the bulk, a few moves for the tails. */
void* memcpy(void* restrict dst, const void* restrict src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);

/* The input: vxa_read's bytes, 64 KiB at a time. vxa_in_next and
 * vxa_in_avail are what is left of the last read; a decoder consumes by
 * moving them on (next += n, avail -= n). */
#define VXA_IN_CAPACITY (64u << 10)
extern const uint8_t* vxa_in_next;
extern uint32_t vxa_in_avail;
/* Reads more when nothing is left; false at the end of the input. */
int vxa_in_fill(void);
/* Makes at least n (<= VXA_IN_CAPACITY) bytes available at vxa_in_next,
 * reading as needed; false when the input ends before that. */
int vxa_in_ensure(uint32_t n);

/* The output: a decoder writes into vxa_out_buffer from vxa_out_used,
 * and flushes (vxa_write) when it is full and at the end. */
#define VXA_OUT_CAPACITY (256u << 10)
extern uint8_t vxa_out_buffer[VXA_OUT_CAPACITY];
extern uint32_t vxa_out_used;
void vxa_out_flush(void);

/* After a codec step that was given vxa_in_avail bytes at vxa_in_next and
 * the output buffer's free room, and left `in_left` of the one and
 * `out_left` of the other: moves both on, flushes a full buffer, and tells
 * whether the step did anything (consumed or produced a byte). */
int vxa_step_done(uint32_t in_left, uint32_t out_left);

/* Where the codecs give up (a failed assertion of their own). */
#define VXA_ABORT() __builtin_trap()

#endif
