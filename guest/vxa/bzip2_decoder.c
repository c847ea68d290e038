/* The bzip2 decoder (zip method 12): libbzip2's decompressor, built
 * BZ_NO_STDIO. Like bzip2 -d, it decodes concatenated streams one after
 * the other; what follows the last stream and is not one (it does not
 * start "BZh1".."BZh9") is VXA_TRAILING_DATA, where bzip2 warns and ignores it. */
#include <vx/vxa_decoder.h>

#include "bzlib.h"
#include "runtime.h"

/* libbzip2's own assertions (AssertH): a bug of the library, not bad data. */
void bz_internal_error(int errcode) {
    (void)errcode;
    VXA_ABORT();
}

/* Does the input go on with a stream header ("BZh" and a block size)? */
static int stream_follows(void) {
    return vxa_in_ensure(4) && vxa_in_next[0] == 'B' && vxa_in_next[1] == 'Z' && vxa_in_next[2] == 'h' &&
           vxa_in_next[3] >= '1' && vxa_in_next[3] <= '9';
}

/* One stream, to its end-of-stream marker. */
static uint32_t decode_stream(void) {
    bz_stream stream = {0}; /* bzalloc 0: libbzip2 uses malloc and free */
    switch (BZ2_bzDecompressInit(&stream, 0, 0)) {
    case BZ_OK: break;
    case BZ_MEM_ERROR: return VXA_OUT_OF_MEMORY;
    default: VXA_ABORT();
    }
    uint32_t result;
    for (;;) {
        vxa_in_fill();
        stream.next_in = (char*)vxa_in_next;
        stream.avail_in = vxa_in_avail;
        stream.next_out = (char*)vxa_out_buffer + vxa_out_used;
        stream.avail_out = VXA_OUT_CAPACITY - vxa_out_used;
        const int status = BZ2_bzDecompress(&stream);
        const int progressed = vxa_step_done(stream.avail_in, stream.avail_out);
        if (status == BZ_STREAM_END) {
            result = VXA_DECODED;
            break;
        }
        if (status == BZ_OK) {
            if (!progressed && !vxa_in_avail) {
                result = VXA_TRUNCATED;
                break;
            }
            continue;
        }
        result = status == BZ_MEM_ERROR ? VXA_OUT_OF_MEMORY : VXA_CORRUPT; /* BZ_DATA_ERROR(_MAGIC) */
        break;
    }
    BZ2_bzDecompressEnd(&stream);
    return result;
}

static uint32_t decode_streams(void) {
    uint32_t result = decode_stream();
    while (result == VXA_DECODED) {
        if (!vxa_in_ensure(1)) return VXA_DECODED;
        if (!stream_follows()) return VXA_TRAILING_DATA;
        result = decode_stream();
    }
    return result;
}

VXA_DECODER uint32_t vxa_decode(void* heap, uint32_t heap_size) {
    vxa_begin(heap, heap_size);
    const uint32_t result = decode_streams();
    vxa_out_flush();
    return result;
}
