/* The deflate decoder (zip method 8): zlib's inflate over one raw deflate
 * stream (windowBits -15), built Z_SOLO: no zlib wrapper or gzip header,
 * so no checksum code (NO_GZIP; adler32 is linked but never runs). Bytes
 * after the stream's last block are VXA_TRAILING_DATA: a zip member holds
 * exactly one stream. */
#include <vx/vxa_decoder.h>

#include "runtime.h"
#include "zutil.h" /* zlib's: zmemcpy & co, which Z_SOLO leaves to us */

/* Z_SOLO makes zlib use its own byte loops for these (zutil.c); inflate
 * copies its window with zmemcpy, so they are the runtime's instead. */
void ZLIB_INTERNAL zmemcpy(Bytef* dest, const Bytef* source, uInt len) { memcpy(dest, source, len); }
int ZLIB_INTERNAL zmemcmp(const Bytef* s1, const Bytef* s2, uInt len) { return memcmp(s1, s2, len); }
void ZLIB_INTERNAL zmemzero(Bytef* dest, uInt len) { memset(dest, 0, len); }

static voidpf zalloc(voidpf opaque, uInt items, uInt size) {
    (void)opaque;
    if (size && items > (uInt)-1 / size) return Z_NULL;
    return malloc((size_t)items * size);
}

static void zfree(voidpf opaque, voidpf address) {
    (void)opaque;
    free(address);
}

static uint32_t inflate_member(void) {
    z_stream stream = {0};
    stream.zalloc = zalloc;
    stream.zfree = zfree;
    switch (inflateInit2(&stream, -15)) {
    case Z_OK: break;
    case Z_MEM_ERROR: return VXA_OUT_OF_MEMORY;
    default: VXA_ABORT();
    }
    for (;;) {
        vxa_in_fill();
        stream.next_in = (Bytef*)vxa_in_next;
        stream.avail_in = vxa_in_avail;
        stream.next_out = vxa_out_buffer + vxa_out_used;
        stream.avail_out = VXA_OUT_CAPACITY - vxa_out_used;
        const int result = inflate(&stream, Z_NO_FLUSH);
        const int progressed = vxa_step_done(stream.avail_in, stream.avail_out);
        switch (result) {
        case Z_STREAM_END:
            /* One stream per member: anything after it is not ours. */
            return vxa_in_fill() ? VXA_TRAILING_DATA : VXA_DECODED;
        case Z_OK:
        case Z_BUF_ERROR:
            /* No progress although there was room for output: inflate
             * wants input, and there is none. */
            if (!progressed && !vxa_in_avail) return VXA_TRUNCATED;
            break;
        case Z_MEM_ERROR: return VXA_OUT_OF_MEMORY;
        case Z_DATA_ERROR: return VXA_CORRUPT;
        default: VXA_ABORT(); /* Z_STREAM_ERROR, Z_NEED_DICT: not for a raw stream */
        }
    }
}

VXA_DECODER uint32_t vxa_decode(void* heap, uint32_t heap_size) {
    vxa_begin(heap, heap_size);
    const uint32_t result = inflate_member();
    vxa_out_flush();
    return result;
}
