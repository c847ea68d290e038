/* The zstd decoder (zip method 93): libzstd's streaming decompressor. Like
 * zstd -d, it decodes concatenated frames, skippable frames among them, and
 * verifies each frame's checksum; what follows the last frame and does not
 * start like a frame is VXA_TRAILING_DATA. The window may be as large as
 * zstd allows (ZSTD_WINDOWLOG_MAX): the heap is the limit, where a frame
 * that needs more is VXA_OUT_OF_MEMORY. */
#include <vx/vxa_decoder.h>

#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_WINDOWLOG_MAX */
#include "runtime.h"
#include "zstd.h"
#include "zstd_errors.h"

/* Does the input go on with a frame (a zstd or a skippable one)? */
static int frame_follows(void) {
    if (!vxa_in_ensure(4)) return 0;
    const uint32_t magic = (uint32_t)vxa_in_next[0] | (uint32_t)vxa_in_next[1] << 8 |
                           (uint32_t)vxa_in_next[2] << 16 | (uint32_t)vxa_in_next[3] << 24;
    return magic == ZSTD_MAGICNUMBER || (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START;
}

static uint32_t error_result(size_t code) {
    switch (ZSTD_getErrorCode(code)) {
    case ZSTD_error_memory_allocation:
    case ZSTD_error_frameParameter_windowTooLarge: return VXA_OUT_OF_MEMORY;
    default: return VXA_CORRUPT;
    }
}

static uint32_t decode_frames(void) {
    ZSTD_DStream* stream = ZSTD_createDStream();
    if (!stream) return VXA_OUT_OF_MEMORY;
    size_t status = ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, ZSTD_WINDOWLOG_MAX);
    if (ZSTD_isError(status)) VXA_ABORT();
    int between_frames = 0; /* a frame has just ended */
    for (;;) {
        if (between_frames) {
            if (!vxa_in_ensure(1)) return VXA_DECODED;
            if (!frame_follows()) return VXA_TRAILING_DATA;
        }
        vxa_in_fill();
        ZSTD_inBuffer in = {vxa_in_next, vxa_in_avail, 0};
        ZSTD_outBuffer out = {vxa_out_buffer, VXA_OUT_CAPACITY, vxa_out_used};
        status = ZSTD_decompressStream(stream, &out, &in);
        const uint32_t produced = (uint32_t)out.pos - vxa_out_used;
        vxa_in_next += in.pos;
        vxa_in_avail -= (uint32_t)in.pos;
        vxa_out_used = (uint32_t)out.pos;
        if (vxa_out_used == VXA_OUT_CAPACITY) vxa_out_flush();
        if (ZSTD_isError(status)) return error_result(status);
        between_frames = status == 0; /* the frame is decoded and flushed */
        if (!between_frames && !in.pos && !produced && !vxa_in_avail) return VXA_TRUNCATED;
    }
}

VXA_DECODER uint32_t vxa_decode(void* heap, uint32_t heap_size) {
    vxa_begin(heap, heap_size);
    const uint32_t result = decode_frames();
    vxa_out_flush();
    return result;
}
