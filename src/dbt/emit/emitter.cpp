#include "dbt/emit/emitter.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

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

namespace {

[[noreturn]] void internal_error(const char* what, const char* detail) {
    std::fprintf(stderr, "vx: internal error: %s %s\n", what, detail);
    std::abort();
}

ZydisEncoderRequest request_for(ZydisMnemonic m, std::initializer_list<ZydisEncoderOperand> operands) {
    ZydisEncoderRequest r{};
    r.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    r.mnemonic = m;
    for (const ZydisEncoderOperand& op : operands) r.operands[r.operand_count++] = op;
    return r;
}

ZydisEncoderRequest branch_request(ZydisMnemonic m, ZydisBranchWidth width) {
    ZydisEncoderRequest r = request_for(m, {imm(0)});
    r.branch_type = width == ZYDIS_BRANCH_WIDTH_8 ? ZYDIS_BRANCH_TYPE_SHORT : ZYDIS_BRANCH_TYPE_NEAR;
    r.branch_width = width;
    return r;
}

}  // namespace

bool Emitter::encode(const ZydisEncoderRequest& request) {
    ZyanUSize length = ZYDIS_MAX_INSTRUCTION_LENGTH;
    uint8_t buffer[ZYDIS_MAX_INSTRUCTION_LENGTH];
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&request, buffer, &length))) return false;
    std::memcpy(out_ + size_, buffer, length);
    size_ += uint32_t(length);
    return true;
}

void Emitter::insn(ZydisMnemonic m, std::initializer_list<ZydisEncoderOperand> operands) {
    if (!encode(request_for(m, operands))) internal_error("cannot encode", ZydisMnemonicGetString(m));
}

void Emitter::guest_insn(ZydisMnemonic m, std::initializer_list<ZydisEncoderOperand> operands) {
    ZydisEncoderRequest r = request_for(m, operands);
    r.prefixes = ZYDIS_ATTRIB_HAS_SEGMENT_GS;
    r.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
    if (!encode(r)) internal_error("cannot encode", ZydisMnemonicGetString(m));
}

void Emitter::prefix(uint32_t start, uint8_t prefix) {
    std::memmove(out_ + start + 1, out_ + start, size_ - start);
    out_[start] = prefix;
    ++size_;
}

void Emitter::truncate(uint32_t size) {
    size_ = size;
    std::erase_if(unresolved_, [&](const Unresolved& b) { return b.end > size; });
}

Label Emitter::new_label() {
    labels_.push_back(kUnbound);
    return Label{uint32_t(labels_.size() - 1)};
}

void Emitter::bind(Label label) {
    if (labels_[label.id] != kUnbound) internal_error("label bound twice", "");
    labels_[label.id] = size_;
    std::erase_if(unresolved_, [&](const Unresolved& b) {
        if (b.label != label.id) return false;
        resolve(b, size_);
        return true;
    });
}

void Emitter::resolve(const Unresolved& branch, uint32_t target) {
    const int64_t rel = int64_t(target) - int64_t(branch.end);
    if (branch.width == 1) {
        if (rel < INT8_MIN || rel > INT8_MAX) internal_error("short branch out of range", "");
        out_[branch.end - 1] = uint8_t(int8_t(rel));
    } else {
        const int32_t rel32 = int32_t(rel);
        std::memcpy(out_ + branch.end - 4, &rel32, 4);
    }
}

uint64_t Emitter::branch(ZydisEncoderRequest r, Label target) {
    if (!encode(r)) internal_error("cannot encode", ZydisMnemonicGetString(r.mnemonic));
    const Unresolved b{size_, uint8_t(r.branch_width == ZYDIS_BRANCH_WIDTH_8 ? 1 : 4), target.id};
    if (labels_[target.id] == kUnbound) unresolved_.push_back(b);
    else resolve(b, uint32_t(labels_[target.id]));
    return exec_ + size_ - b.width;
}

uint64_t Emitter::jump(Label target) {
    return branch(branch_request(ZYDIS_MNEMONIC_JMP, ZYDIS_BRANCH_WIDTH_32), target);
}

uint64_t Emitter::jump(uint64_t target) {
    if (!encode(branch_request(ZYDIS_MNEMONIC_JMP, ZYDIS_BRANCH_WIDTH_32))) internal_error("cannot encode", "jmp");
    const uint64_t site = here() - 4;
    retarget(site, target);
    return site;
}

uint64_t Emitter::jump_if(ZydisMnemonic jcc, Label target) {
    return branch(branch_request(jcc, ZYDIS_BRANCH_WIDTH_32), target);
}

void Emitter::jump_if_rcx_zero(Label target) {
    branch(branch_request(ZYDIS_MNEMONIC_JRCXZ, ZYDIS_BRANCH_WIDTH_8), target);
}

void Emitter::loop_ecx(ZydisMnemonic m, Label target) {
    ZydisEncoderRequest r = branch_request(m, ZYDIS_BRANCH_WIDTH_8);
    r.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
    branch(r, target);
}

uint64_t Emitter::add_later(ZydisRegister r64) {
    // The largest displacement makes the encoder choose a disp32.
    insn(ZYDIS_MNEMONIC_LEA, {reg(r64), mem(r64, INT32_MAX, 8)});
    const uint64_t site = here() - 4;
    set_int32(site, 0);
    return site;
}

void Emitter::string_op(uint8_t byte_opcode, uint8_t element, uint8_t rep_prefix) {
    // By hand: the encoder puts the rep prefix first (f3 66 a5), the same
    // instruction in other bytes, and the golden files pin these.
    if (element == 2) byte(0x66);
    if (rep_prefix) byte(rep_prefix);
    byte(uint8_t(byte_opcode + (element > 1 ? 1 : 0)));
}

}  // namespace vx::dbt
