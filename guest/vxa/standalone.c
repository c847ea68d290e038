/* A vxa decoder as a program (vx/vxa_decoder.h's VXA_STANDALONE), for
 * checking it under qemu-i386 or vxrun and for native baselines: the
 * compressed data on standard input, the decoded data on standard output,
 * vxa_decode's result as the exit status (0-4), and 10 when reading or
 * writing failed. `NAME-standalone [HEAP_BYTES]`: a heap of that many
 * bytes (decimal, at most the 256 MiB it has) to try VXA_OUT_OF_MEMORY. Linked with guest/runtime/start.S (i386) or
 * bench/native/start64.S (x86-64), which call main and exit with its
 * result. */
#include <vx/vxa_decoder.h>

#include "vxguest.h"

/* The heap vxa_decode gets: zeroed (.bss), untouched until used. */
#ifndef VXA_STANDALONE_HEAP
#define VXA_STANDALONE_HEAP (256u << 20)
#endif
static unsigned char heap[VXA_STANDALONE_HEAP] __attribute__((aligned(4096)));

enum { kIoFailed = 10 };

uint32_t vxa_read(void* buffer, uint32_t capacity) {
    const int got = vx_read(0, buffer, capacity);
    if (got < 0) vx_exit(kIoFailed);
    return (uint32_t)got;
}

uint32_t vxa_write(const void* data, uint32_t length) {
    const unsigned char* p = data;
    while (length) {
        const int wrote = vx_write(1, p, length);
        if (wrote <= 0) vx_exit(kIoFailed);
        p += wrote;
        length -= (uint32_t)wrote;
    }
    return 0;
}

int main(int argc, char** argv) {
    uint32_t size = sizeof heap;
    if (argc > 1) {
        uint64_t wanted = 0;
        for (const char* p = argv[1]; *p >= '0' && *p <= '9' && wanted <= size; ++p) wanted = wanted * 10 + (uint64_t)(*p - '0');
        if (wanted < size) size = (uint32_t)wanted;
    }
    return (int)vxa_decode(heap, size);
}
