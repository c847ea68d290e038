/* The freestanding runtime of vxa's decoders (runtime.h). */
#include "runtime.h"

#include <vx/vxa_decoder.h>

/* ------------------------------------------------------------------------
 * The allocator.
 *
 * Every block, free or in use, starts with a 16-byte header whose first
 * word is the block's size (header included, a multiple of 16); a free
 * block's second word links the next free block. The free list is in
 * address order, so freeing merges a block with the free neighbours it
 * touches. [top, end) has never been handed out since the last block below
 * it was; a freed block that ends at top moves top down instead of joining
 * the list. zeroed_from: everything at or above it is still the heap's
 * zeros (calloc need not clear it).
 */
#define VXA_ALIGN 16u
#define VXA_HEADER 16u
#define VXA_MIN_SPLIT 64u /* a remainder smaller than this stays with the block */

typedef struct vxa_block {
    size_t size;
    struct vxa_block* next;
} vxa_block;

static unsigned char* heap_top;
static unsigned char* heap_end;
static unsigned char* zeroed_from;
static vxa_block* free_list;

static void heap_init(void* heap, size_t size) {
    uintptr_t start = ((uintptr_t)heap + VXA_ALIGN - 1) & ~(uintptr_t)(VXA_ALIGN - 1);
    uintptr_t end = (uintptr_t)heap + size;
    if (end < start) end = start;
    heap_top = (unsigned char*)start;
    heap_end = (unsigned char*)(start + ((end - start) & ~(uintptr_t)(VXA_ALIGN - 1)));
    zeroed_from = heap_top;
    free_list = 0;
}

/* The block size for `size` bytes of payload, or 0 when that overflows. */
static size_t block_size(size_t size) {
    if (size > (size_t)-1 - VXA_HEADER - VXA_ALIGN) return 0;
    return (size + VXA_HEADER + VXA_ALIGN - 1) & ~(size_t)(VXA_ALIGN - 1);
}

static void* hand_out(vxa_block* block, size_t size) {
    block->size = size;
    unsigned char* end = (unsigned char*)block + size;
    if (end > zeroed_from) zeroed_from = end;
    return (unsigned char*)block + VXA_HEADER;
}

void* malloc(size_t size) {
    const size_t need = block_size(size ? size : 1);
    if (!need) return 0;
    for (vxa_block** link = &free_list; *link; link = &(*link)->next) {
        vxa_block* block = *link;
        if (block->size < need) continue;
        if (block->size - need >= VXA_MIN_SPLIT) {
            vxa_block* rest = (vxa_block*)((unsigned char*)block + need);
            rest->size = block->size - need;
            rest->next = block->next;
            *link = rest;
            return hand_out(block, need);
        }
        *link = block->next;
        return hand_out(block, block->size);
    }
    if ((size_t)(heap_end - heap_top) < need) return 0;
    vxa_block* block = (vxa_block*)heap_top;
    heap_top += need;
    return hand_out(block, need);
}

void* calloc(size_t count, size_t size) {
    if (size && count > (size_t)-1 / size) return 0;
    const size_t bytes = count * size;
    unsigned char* const zeroed = zeroed_from;
    unsigned char* p = malloc(bytes);
    /* Only what lies below the old mark was handed out before. */
    if (p && p < zeroed) memset(p, 0, (size_t)(zeroed - p) < bytes ? (size_t)(zeroed - p) : bytes);
    return p;
}

void free(void* pointer) {
    if (!pointer) return;
    vxa_block* block = (vxa_block*)((unsigned char*)pointer - VXA_HEADER);
    unsigned char* end = (unsigned char*)block + block->size;
    /* The free blocks around it: prev (linked from prev_link) below, next above. */
    vxa_block** link = &free_list;
    vxa_block** prev_link = 0;
    while (*link && *link < block) {
        prev_link = link;
        link = &(*link)->next;
    }
    vxa_block* prev = prev_link ? *prev_link : 0;
    if (end == heap_top) {
        /* The highest block: back to the untouched rest, and with it a free
         * block just below (the list's last, then). */
        heap_top = (unsigned char*)block;
        if (prev && (unsigned char*)prev + prev->size == heap_top) {
            heap_top = (unsigned char*)prev;
            *prev_link = 0;
        }
        return;
    }
    vxa_block* next = *link;
    if (next && end == (unsigned char*)next) {
        block->size += next->size;
        block->next = next->next;
    } else {
        block->next = next;
    }
    if (prev && (unsigned char*)prev + prev->size == (unsigned char*)block) {
        prev->size += block->size;
        prev->next = block->next;
    } else {
        *link = block;
    }
}

void* realloc(void* pointer, size_t size) {
    if (!pointer) return malloc(size);
    if (!size) {
        free(pointer);
        return 0;
    }
    vxa_block* block = (vxa_block*)((unsigned char*)pointer - VXA_HEADER);
    const size_t need = block_size(size);
    if (!need) return 0;
    if (need <= block->size) return pointer;
    if ((unsigned char*)block + block->size == heap_top &&
        (size_t)(heap_end - (unsigned char*)block) >= need) {
        heap_top = (unsigned char*)block + need;
        hand_out(block, need);
        return pointer;
    }
    void* moved = malloc(size);
    if (!moved) return 0;
    memcpy(moved, pointer, block->size - VXA_HEADER);
    free(pointer);
    return moved;
}

/* ------------------------------------------------------------------------
 * The string functions: rep movs/stos (which vx's dbt engine runs as the
 * host's own string instructions) for 16 bytes and more, a few moves of 8,
 * 4, 2 and 1 bytes for what is left. The tails are written without loops,
 * which the compiler could turn back into calls of these very functions.
 */
typedef uint16_t __attribute__((may_alias, aligned(1))) vxa_u16;
typedef uint32_t __attribute__((may_alias, aligned(1))) vxa_u32;
typedef uint64_t __attribute__((may_alias, aligned(1))) vxa_u64;

#ifdef __x86_64__
#define VXA_WORD_SHIFT 3
#define VXA_REP_MOVS "rep movsq"
#define VXA_REP_STOS "rep stosq"
typedef uint64_t vxa_word;
#else
#define VXA_WORD_SHIFT 2
#define VXA_REP_MOVS "rep movsl"
#define VXA_REP_STOS "rep stosl"
typedef uint32_t vxa_word;
#endif
#define VXA_WORD_SIZE (1u << VXA_WORD_SHIFT)

/* Copies n < 16 bytes forwards; the loads of each move come before its
 * stores, so an overlap with dst below src is safe. */
static inline void copy_tail(unsigned char* d, const unsigned char* s, size_t n) {
    if (n & 8) {
#ifdef __x86_64__
        *(vxa_u64*)d = *(const vxa_u64*)s;
#else
        const uint32_t a = *(const vxa_u32*)s, b = *(const vxa_u32*)(s + 4);
        *(vxa_u32*)d = a;
        *(vxa_u32*)(d + 4) = b;
#endif
        d += 8;
        s += 8;
    }
    if (n & 4) {
        *(vxa_u32*)d = *(const vxa_u32*)s;
        d += 4;
        s += 4;
    }
    if (n & 2) {
        *(vxa_u16*)d = *(const vxa_u16*)s;
        d += 2;
        s += 2;
    }
    if (n & 1) *d = *s;
}

/* Forwards: rep movs reads each element before it writes over it, so this
 * is also right for a destination below an overlapping source. */
static inline void copy_forward(unsigned char* d, const unsigned char* s, size_t n) {
    if (n >= 16) {
        size_t words = n >> VXA_WORD_SHIFT;
        n &= VXA_WORD_SIZE - 1;
        __asm__ volatile(VXA_REP_MOVS : "+D"(d), "+S"(s), "+c"(words) : : "memory");
    }
    copy_tail(d, s, n);
}

void* memcpy(void* restrict dst, const void* restrict src, size_t n) {
    copy_forward(dst, src, n);
    return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
    unsigned char* d = dst;
    const unsigned char* s = src;
    if ((uintptr_t)d - (uintptr_t)s >= n) {
        copy_forward(d, s, n);  /* dst below src, or no overlap */
        return dst;
    }
    /* dst above src, overlapping: backwards from the end, the odd bytes at
     * the end first, then whole words with the direction flag set. */
    d += n;
    s += n;
    if (n & 1) {
        d -= 1;
        s -= 1;
        *d = *s;
    }
    if (n & 2) {
        d -= 2;
        s -= 2;
        *(vxa_u16*)d = *(const vxa_u16*)s;
    }
#ifdef __x86_64__
    if (n & 4) {
        d -= 4;
        s -= 4;
        *(vxa_u32*)d = *(const vxa_u32*)s;
    }
#endif
    size_t words = n >> VXA_WORD_SHIFT;
    if (words) {
        d -= VXA_WORD_SIZE;
        s -= VXA_WORD_SIZE;
        __asm__ volatile("std\n\t" VXA_REP_MOVS "\n\tcld" : "+D"(d), "+S"(s), "+c"(words) : : "memory", "cc");
    }
    return dst;
}

void* memset(void* dst, int c, size_t n) {
    unsigned char* d = dst;
    const uint32_t v = (unsigned char)c * 0x01010101u;
    if (n >= 16) {
        size_t words = n >> VXA_WORD_SHIFT;
        n &= VXA_WORD_SIZE - 1;
        const vxa_word value = (vxa_word)v * (vxa_word)0x0000000100000001ull; /* v in each half on x86-64 */
        __asm__ volatile(VXA_REP_STOS : "+D"(d), "+c"(words) : "a"(value) : "memory");
    }
    if (n & 8) {
        *(vxa_u32*)d = v;
        *(vxa_u32*)(d + 4) = v;
        d += 8;
    }
    if (n & 4) {
        *(vxa_u32*)d = v;
        d += 4;
    }
    if (n & 2) {
        *(vxa_u16*)d = (uint16_t)v;
        d += 2;
    }
    if (n & 1) *d = (unsigned char)v;
    return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
    const unsigned char* x = a;
    const unsigned char* y = b;
    while (n >= 4 && *(const vxa_u32*)x == *(const vxa_u32*)y) {
        x += 4;
        y += 4;
        n -= 4;
    }
    for (; n; --n, ++x, ++y)
        if (*x != *y) return *x - *y;
    return 0;
}

size_t strlen(const char* s) {
    const char* p = s;
    while (*p) ++p;
    return (size_t)(p - s);
}

/* ------------------------------------------------------------------------
 * The input and output buffers.
 */
static uint8_t in_buffer[VXA_IN_CAPACITY] __attribute__((aligned(64)));
static int in_ended;
const uint8_t* vxa_in_next;
uint32_t vxa_in_avail;

uint8_t vxa_out_buffer[VXA_OUT_CAPACITY] __attribute__((aligned(64)));
uint32_t vxa_out_used;

void vxa_begin(void* heap, size_t heap_size) {
    heap_init(heap, heap_size);
    vxa_in_next = in_buffer;
    vxa_in_avail = 0;
    in_ended = 0;
    vxa_out_used = 0;
}

/* vxa_read, with its answer checked: a host that claims more than it was
 * asked for is not believed. */
static uint32_t read_input(uint8_t* buffer, uint32_t capacity) {
    const uint32_t got = vxa_read(buffer, capacity);
    if (got > capacity) VXA_ABORT();
    if (!got) in_ended = 1;
    return got;
}

int vxa_in_fill(void) {
    if (vxa_in_avail) return 1;
    if (in_ended) return 0;
    vxa_in_next = in_buffer;
    vxa_in_avail = read_input(in_buffer, VXA_IN_CAPACITY);
    return vxa_in_avail != 0;
}

int vxa_in_ensure(uint32_t n) {
    if (vxa_in_avail >= n) return 1;
    if (n > VXA_IN_CAPACITY) VXA_ABORT();
    if (vxa_in_next != in_buffer) {
        memmove(in_buffer, vxa_in_next, vxa_in_avail);
        vxa_in_next = in_buffer;
    }
    while (vxa_in_avail < n && !in_ended)
        vxa_in_avail += read_input(in_buffer + vxa_in_avail, VXA_IN_CAPACITY - vxa_in_avail);
    return vxa_in_avail >= n;
}

void vxa_out_flush(void) {
    if (!vxa_out_used) return;
    vxa_write(vxa_out_buffer, vxa_out_used);
    vxa_out_used = 0;
}

int vxa_step_done(uint32_t in_left, uint32_t out_left) {
    const uint32_t consumed = vxa_in_avail - in_left;
    const uint32_t produced = VXA_OUT_CAPACITY - vxa_out_used - out_left;
    vxa_in_next += consumed;
    vxa_in_avail = in_left;
    vxa_out_used += produced;
    if (vxa_out_used == VXA_OUT_CAPACITY) vxa_out_flush();
    return consumed || produced;
}
