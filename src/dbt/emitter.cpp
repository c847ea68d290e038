#include "dbt/emitter.h"

#include <cstdio>
#include <cstdlib>

namespace vx::dbt {

ZydisEncoderOperand reg(ZydisRegister r) {
    ZydisEncoderOperand op{};
    op.type = ZYDIS_OPERAND_TYPE_REGISTER;
    op.reg.value = r;
    return op;
}

ZydisEncoderOperand imm(int64_t value) {
    ZydisEncoderOperand op{};
    op.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
    op.imm.s = value;
    return op;
}

ZydisEncoderOperand mem(ZydisRegister base, int64_t disp, uint16_t size, ZydisRegister index,
                        uint8_t scale) {
    ZydisEncoderOperand op{};
    op.type = ZYDIS_OPERAND_TYPE_MEMORY;
    op.mem.base = base;
    op.mem.index = index;
    op.mem.scale = scale;
    op.mem.displacement = disp;
    op.mem.size = size;
    return op;
}

bool Emitter::encode(const ZydisEncoderRequest& request) {
    ZyanUSize length = ZYDIS_MAX_INSTRUCTION_LENGTH;
    uint8_t buffer[ZYDIS_MAX_INSTRUCTION_LENGTH];
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&request, buffer, &length))) return false;
    bytes(buffer, uint32_t(length));
    return true;
}

namespace {

ZydisEncoderRequest request_for(ZydisMnemonic m, std::initializer_list<ZydisEncoderOperand> operands) {
    ZydisEncoderRequest r{};
    r.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    r.mnemonic = m;
    for (const ZydisEncoderOperand& op : operands) r.operands[r.operand_count++] = op;
    return r;
}

}  // namespace

void Emitter::insn(ZydisMnemonic m, std::initializer_list<ZydisEncoderOperand> operands) {
    if (!encode(request_for(m, operands))) {
        std::fprintf(stderr, "vx: internal error: cannot encode %s\n", ZydisMnemonicGetString(m));
        std::abort();
    }
}

void Emitter::guest_insn(ZydisMnemonic m, std::initializer_list<ZydisEncoderOperand> operands) {
    ZydisEncoderRequest r = request_for(m, operands);
    r.prefixes = ZYDIS_ATTRIB_HAS_SEGMENT_GS;
    r.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
    if (!encode(r)) {
        std::fprintf(stderr, "vx: internal error: cannot encode %s\n", ZydisMnemonicGetString(m));
        std::abort();
    }
}

}  // namespace vx::dbt
