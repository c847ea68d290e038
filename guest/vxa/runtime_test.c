/* A check of guest/vxa/runtime.c, built like the standalone decoders
 * (freestanding, i386 and x86-64: build-decoders.sh's runtime-test-*, run
 * by check-decoders.sh): the string functions against byte loops for every
 * small size, alignment and overlap, and the allocator against a model
 * under random malloc, calloc, realloc and free. Prints what failed and
 * exits 1, or prints "runtime: ok" and exits 0. */
#include <vx/vxa_decoder.h>

#include "runtime.h"
#include "vxguest.h"

/* The decoders' I/O, which this test does not use. */
uint32_t vxa_read(void* buffer, uint32_t capacity) {
    (void)buffer;
    (void)capacity;
    return 0;
}
uint32_t vxa_write(const void* data, uint32_t length) {
    (void)data;
    (void)length;
    return 0;
}

static int failures;
static void fail(const char* what, uint32_t a, uint32_t b, uint32_t c) {
    if (++failures > 20) return;
    vx_puts("FAIL: ");
    vx_puts(what);
    vx_puts(" ");
    vx_put_hex(a);
    vx_puts(" ");
    vx_put_hex(b);
    vx_puts(" ");
    vx_put_hex(c);
    vx_puts("\n");
}

static uint32_t rng_state = 17;
static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

enum { kArea = 1024 };
static unsigned char area[kArea], model[kArea];

static void fill(void) {
    for (uint32_t i = 0; i < kArea; ++i) area[i] = model[i] = (unsigned char)rng();
}
static void compare(const char* what, uint32_t a, uint32_t b, uint32_t c) {
    for (uint32_t i = 0; i < kArea; ++i)
        if (area[i] != model[i]) {
            fail(what, a, b, c);
            return;
        }
}

/* The functions under test, called through pointers: with -fbuiltin the
 * compiler would otherwise expand calls of them itself. */
static void* (*volatile memcpy_)(void* restrict, const void* restrict, size_t) = memcpy;
static void* (*volatile memmove_)(void*, const void*, size_t) = memmove;
static void* (*volatile memset_)(void*, int, size_t) = memset;
static int (*volatile memcmp_)(const void*, const void*, size_t) = memcmp;
static size_t (*volatile strlen_)(const char*) = strlen;
static volatile size_t huge = (size_t)-8;

/* Byte loops, the reference; volatile so that the compiler makes no
 * memcpy or memmove of them. */
static void model_move(uint32_t dst, uint32_t src, uint32_t n) {
    volatile unsigned char* m = model;
    if (dst < src)
        for (uint32_t i = 0; i < n; ++i) m[dst + i] = m[src + i];
    else
        for (uint32_t i = n; i--;) m[dst + i] = m[src + i];
}

static void check_strings(void) {
    for (uint32_t n = 0; n < 300; n = n < 40 ? n + 1 : n + 13)
        for (uint32_t dst = 0; dst < 8; ++dst)
            for (uint32_t src = 0; src < 8; ++src) {
                /* memcpy, apart. */
                fill();
                memcpy_(area + 512 + dst, area + src, n);
                model_move(512 + dst, src, n);
                compare("memcpy", n, dst, src);
                /* memmove both ways, overlapping by up to 7 bytes plus a
                 * word's worth and more. */
                for (uint32_t shift = 1; shift < 40; shift += shift < 9 ? 1 : 15) {
                    fill();
                    memmove_(area + 100 + dst + shift, area + 100 + src, n);
                    model_move(100 + dst + shift, 100 + src, n);
                    compare("memmove up", n, dst + shift, src);
                    fill();
                    memmove_(area + 100 + dst, area + 100 + src + shift, n);
                    model_move(100 + dst, 100 + src + shift, n);
                    compare("memmove down", n, dst, src + shift);
                }
                /* memset. */
                fill();
                const int c = (int)(rng() & 0x1ff); /* only the low byte counts */
                memset_(area + dst, c, n);
                for (uint32_t i = 0; i < n; ++i) ((volatile unsigned char*)model)[dst + i] = (unsigned char)c;
                compare("memset", n, dst, (uint32_t)c);
                /* memcmp: equal, then one byte changed at each place. */
                fill();
                memcpy_(area + 512 + dst, area + src, n);
                if (memcmp_(area + 512 + dst, area + src, n) != 0) fail("memcmp equal", n, dst, src);
                for (uint32_t at = 0; at < n; at += 1 + n / 16) {
                    const unsigned char old = area[512 + dst + at];
                    area[512 + dst + at] = (unsigned char)(old + 1 + rng() % 255);
                    const int want = area[512 + dst + at] < area[src + at] ? -1 : 1;
                    const int got = memcmp_(area + 512 + dst, area + src, n);
                    if ((got < 0 ? -1 : got > 0 ? 1 : 0) != want) fail("memcmp order", n, dst, at);
                    area[512 + dst + at] = old;
                }
            }
    static const char text[] = "seventeen";
    for (uint32_t i = 0; i <= 9; ++i)
        if (strlen_(text + i) != 9 - i) fail("strlen", i, (uint32_t)strlen_(text + i), 0);
}

/* The allocator: blocks with a pattern of their own, checked before each
 * is freed or moved; no two blocks overlap; all freed, the heap is whole
 * again (one allocation of nearly all of it succeeds). */
enum { kSlots = 64, kHeap = 4 << 20 };
static unsigned char heap[kHeap] __attribute__((aligned(4096)));
static struct {
    unsigned char* p;
    uint32_t size;
    unsigned char tag;
} slots[kSlots];

static void stamp_block(int i) {
    for (uint32_t k = 0; k < slots[i].size; ++k) slots[i].p[k] = (unsigned char)(slots[i].tag + k);
}
static void check_block(int i, const char* what) {
    for (uint32_t k = 0; k < slots[i].size; ++k)
        if (slots[i].p[k] != (unsigned char)(slots[i].tag + k)) {
            fail(what, (uint32_t)i, k, slots[i].size);
            return;
        }
}
static uint32_t random_size(void) {
    switch (rng() % 4) {
    case 0: return rng() % 64;
    case 1: return rng() % 4096;
    case 2: return rng() % 65536;
    default: return rng() % 400000;
    }
}
static void check_no_overlap(void) {
    for (int i = 0; i < kSlots; ++i)
        for (int j = i + 1; j < kSlots; ++j) {
            if (!slots[i].p || !slots[j].p) continue;
            if (slots[i].p < slots[j].p + slots[j].size && slots[j].p < slots[i].p + slots[i].size)
                fail("blocks overlap", (uint32_t)i, (uint32_t)j, 0);
        }
}

static void check_allocator(void) {
    vxa_begin(heap, kHeap);
    uint32_t oom = 0;
    for (int round = 0; round < 20000; ++round) {
        const int i = (int)(rng() % kSlots);
        if (slots[i].p) {
            check_block(i, "block changed");
            if (rng() % 3 == 0) {
                const uint32_t size = random_size();
                unsigned char* moved = realloc(slots[i].p, size);
                if (!moved && size) {
                    ++oom;
                    continue; /* the old block stays */
                }
                if (size < slots[i].size) slots[i].size = size;
                slots[i].p = moved;
                check_block(i, "realloc lost data");
                slots[i].size = size;
                if (!size) slots[i].p = 0;
                else stamp_block(i);
            } else {
                free(slots[i].p);
                slots[i].p = 0;
            }
        } else {
            const uint32_t size = random_size();
            const int zeroed = rng() % 2;
            unsigned char* p = zeroed ? calloc(1, size) : malloc(size);
            if (!p) {
                ++oom;
                continue;
            }
            if ((uintptr_t)p % 16) fail("misaligned", (uint32_t)(uintptr_t)p, size, 0);
            if (p < heap || p + size > heap + kHeap) fail("outside the heap", (uint32_t)(uintptr_t)p, size, 0);
            if (zeroed)
                for (uint32_t k = 0; k < size; ++k)
                    if (p[k]) {
                        fail("calloc not zero", size, k, 0);
                        break;
                    }
            slots[i].p = p;
            slots[i].size = size;
            slots[i].tag = (unsigned char)rng();
            stamp_block(i);
        }
        if (round % 500 == 0) check_no_overlap();
    }
    for (int i = 0; i < kSlots; ++i) {
        if (slots[i].p) check_block(i, "block changed");
        free(slots[i].p);
        slots[i].p = 0;
    }
    if (!oom) fail("the heap never ran out: the test is too gentle", 0, 0, 0);
    /* Everything is free again: one block of nearly the whole heap fits,
     * and calloc clears what earlier blocks left there. */
    unsigned char* all = calloc(1, kHeap - 64);
    if (!all) fail("freed memory was not merged back", 0, 0, 0);
    else
        for (uint32_t k = 0; k < kHeap - 64; ++k)
            if (all[k]) {
                fail("calloc of reused memory not zero", k, 0, 0);
                break;
            }
    free(all);
    if (malloc(kHeap) != 0) fail("more than the heap", 0, 0, 0);
    if (calloc(0x10000, 0x10001) != 0) fail("calloc overflow", 0, 0, 0);
    if (malloc(huge) != 0) fail("malloc overflow", 0, 0, 0);
}

int main(int argc, char** argv) {
    (void)argc;
    (void)argv;
    check_strings();
    check_allocator();
    if (failures) return 1;
    vx_puts("runtime: ok\n");
    return 0;
}
