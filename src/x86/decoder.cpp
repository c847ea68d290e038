#include "x86/decoder.h"

namespace vx::x86 {
namespace {

ZydisDecoder make_decoder() {
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    return decoder;
}

}  // namespace

DecodeStatus decode(const uint8_t* bytes, size_t available, Instruction& out) {
    static const ZydisDecoder decoder = make_decoder();
    ZyanStatus status = ZydisDecoderDecodeFull(&decoder, bytes, available, &out.info,
                                               out.operands);
    out.bytes = bytes;
    if (ZYAN_SUCCESS(status)) return DecodeStatus::Ok;
    if (status == ZYDIS_STATUS_INSTRUCTION_TOO_LONG) return DecodeStatus::TooLong;
    if (status == ZYDIS_STATUS_NO_MORE_DATA) {
        // A 15-byte window that still is not enough is an over-long instruction.
        return available >= ZYDIS_MAX_INSTRUCTION_LENGTH ? DecodeStatus::TooLong
                                                         : DecodeStatus::Truncated;
    }
    return DecodeStatus::Invalid;
}

size_t fetch(const GuestMemory& memory, uint32_t eip, uint8_t (&out)[ZYDIS_MAX_INSTRUCTION_LENGTH]) {
    size_t n = 0;
    while (n < sizeof out && memory.read(eip + uint32_t(n), out + n, 1)) ++n;
    return n;
}

size_t encode(const ZydisEncoderRequest& request, uint8_t* out, size_t capacity) {
    ZyanUSize length = capacity;
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&request, out, &length))) return 0;
    return length;
}

}  // namespace vx::x86
