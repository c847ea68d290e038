/* The xz decoder (zip method 95): liblzma's .xz stream decoder (LZMA1,
 * LZMA2, delta and the BCJ filters; CRC32, CRC64 and SHA-256 checks), its
 * config.h in xz/. Like xz -d, it decodes concatenated streams with stream
 * padding (null bytes, a multiple of four) between and after them, which is
 * what LZMA_CONCATENATED does; the loop is here rather than in liblzma so
 * that input after the last stream that is not a stream is told apart from
 * a corrupt one: VXA_TRAILING_DATA, where LZMA_CONCATENATED would make both
 * LZMA_DATA_ERROR. Memory is limited by the heap alone (no memlimit). */
#include <vx/vxa_decoder.h>

#include "lzma.h"
#include "runtime.h"

/* A stream starts with these (the stream header's magic bytes). */
static int stream_follows(void) {
    static const uint8_t magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
    return vxa_in_ensure(sizeof magic) && memcmp(vxa_in_next, magic, sizeof magic) == 0;
}

static uint32_t status_result(lzma_ret status) {
    switch (status) {
    case LZMA_MEM_ERROR:
    case LZMA_MEMLIMIT_ERROR: return VXA_OUT_OF_MEMORY;
    case LZMA_FORMAT_ERROR:   /* not .xz */
    case LZMA_OPTIONS_ERROR:  /* a filter or option this build does not know */
    case LZMA_DATA_ERROR: return VXA_CORRUPT;
    case LZMA_BUF_ERROR: return VXA_TRUNCATED;
    default: VXA_ABORT();
    }
}

/* One stream, from its header to its footer. */
static uint32_t decode_stream(lzma_stream* stream) {
    /* Every check is verified (none is unsupported here); without
     * LZMA_CONCATENATED the decoder stops at the stream's end. */
    lzma_ret status = lzma_stream_decoder(stream, UINT64_MAX, 0);
    if (status != LZMA_OK) return status_result(status);
    for (;;) {
        /* LZMA_FINISH once the input has ended: liblzma then reports a
         * stream cut short as LZMA_BUF_ERROR at once. */
        const lzma_action action = vxa_in_fill() ? LZMA_RUN : LZMA_FINISH;
        stream->next_in = vxa_in_next;
        stream->avail_in = vxa_in_avail;
        stream->next_out = vxa_out_buffer + vxa_out_used;
        stream->avail_out = VXA_OUT_CAPACITY - vxa_out_used;
        status = lzma_code(stream, action);
        vxa_step_done((uint32_t)stream->avail_in, (uint32_t)stream->avail_out);
        if (status == LZMA_STREAM_END) return VXA_DECODED;
        if (status != LZMA_OK) return status_result(status);
    }
}

static uint32_t decode_streams(void) {
    lzma_stream stream = LZMA_STREAM_INIT;
    uint32_t result = decode_stream(&stream);
    while (result == VXA_DECODED) {
        /* Stream padding: null bytes, as many as a multiple of four. */
        uint32_t padding = 0;
        while (vxa_in_fill() && *vxa_in_next == 0) {
            ++vxa_in_next;
            --vxa_in_avail;
            ++padding;
        }
        if (padding % 4) return VXA_CORRUPT;
        if (!vxa_in_fill()) return VXA_DECODED;
        if (!stream_follows()) return VXA_TRAILING_DATA;
        result = decode_stream(&stream);
    }
    return result;
}

VXA_DECODER uint32_t vxa_decode(void* heap, uint32_t heap_size) {
    vxa_begin(heap, heap_size);
    const uint32_t result = decode_streams();
    vxa_out_flush();
    return result;
}
