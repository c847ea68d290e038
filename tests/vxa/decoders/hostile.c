/* Decoders that misbehave, one way each (built once per BEHAVIOUR), for
 * tests/vxa/hostile_archives.py: each must fail its member, with a reason,
 * and leave the host and the other members alone. Also `copies`, an honest
 * decoder of a codec whose compressed form is the content itself. */
#include <vx/vxa_decoder.h>

/* No host gives decoders this one. */
VX_HOST_FUNCTION(uint32_t, vxa_open_file, (const char* path));

static uint8_t buffer[1 << 16];

__attribute__((unused)) static uint32_t copies(void) {
    uint32_t got;
    while ((got = vxa_read(buffer, sizeof buffer)) != 0) vxa_write(buffer, got);
    return 0;
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((unused)) static uint32_t recurse(uint32_t depth) {
    volatile uint8_t frame[4096];
    frame[0] = (uint8_t)depth;
    return recurse(depth + 1) + frame[0];
}

VXA_DECODER uint32_t vxa_decode(void* heap_start, uint32_t heap_size) {
    uint8_t* heap = heap_start;
    (void)heap, (void)heap_size;
#if defined(BEHAVIOUR_copies)
    return copies();
#elif defined(BEHAVIOUR_loops)
    for (;;) __asm__ volatile("");
#elif defined(BEHAVIOUR_hoards)
    /* All of its heap, and on past its end. */
    for (uint32_t at = 0;; at += 4096) heap[at] = 1;
#elif defined(BEHAVIOUR_floods)
    for (;;) vxa_write(buffer, sizeof buffer);
#elif defined(BEHAVIOUR_faults)
    uint32_t* volatile null_page = (uint32_t*)16;
    *null_page = 1;
    return 0;
#elif defined(BEHAVIOUR_calls_the_kernel)
    /* open("/etc/passwd", O_RDONLY) as an i386 program would. */
    uint32_t result;
    __asm__ volatile("int $0x80" : "=a"(result) : "a"(5), "b"("/etc/passwd"), "c"(0) : "memory");
    return result;
#elif defined(BEHAVIOUR_passes_bad_pointers)
    vxa_write((const void*)0xfffff000u, 16); /* the top of guest memory: unmapped */
    return 0;
#elif defined(BEHAVIOUR_reads_into_code)
    vxa_read((void*)vxa_decode, 16); /* its own code is not writable */
    return 0;
#elif defined(BEHAVIOUR_asks_for_files)
    return vxa_open_file("/etc/passwd"); /* no such host function */
#elif defined(BEHAVIOUR_overflows_its_stack)
    return recurse(0);
#else
#error "build with -DBEHAVIOUR_<name>"
#endif
}
