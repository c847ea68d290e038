#pragma once
// Writes x86-64 code into the code cache: Zydis-encoded instructions, plus the
// rel32 branches the engine patches when it chains blocks.
#include <Zydis/Zydis.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>

namespace vx::dbt {

ZydisEncoderOperand reg(ZydisRegister r);
ZydisEncoderOperand imm(int64_t value);
// [base + index*scale + disp], `size` bytes; 32-bit bases address guest memory.
ZydisEncoderOperand mem(ZydisRegister base, int64_t disp, uint16_t size,
                        ZydisRegister index = ZYDIS_REGISTER_NONE, uint8_t scale = 0);

class Emitter {
public:
    // `out` is where bytes are written; `exec` is the address they will run at.
    Emitter(uint8_t* out, uint64_t exec) : out_(out), exec_(exec) {}

    uint64_t here() const { return exec_ + size_; }
    uint32_t size() const { return size_; }

    void truncate(uint32_t size) { size_ = size; }
    uint8_t* writable_at_exec(uint64_t exec) { return out_ + (exec - exec_); }
    void byte(uint8_t b) { out_[size_++] = b; }
    void bytes(const uint8_t* p, uint32_t n) { std::memcpy(out_ + size_, p, n); size_ += n; }

    // Encodes one instruction; false (nothing written) if it has no encoding.
    bool encode(const ZydisEncoderRequest& request);
    // An instruction of the engine's own: it always encodes.
    void insn(ZydisMnemonic m, std::initializer_list<ZydisEncoderOperand> operands);
    // The same, with its memory operand in guest memory (%gs, 32-bit address).
    void guest_insn(ZydisMnemonic m, std::initializer_list<ZydisEncoderOperand> operands);

    // jmp/jcc rel32; return the address of the rel32 field, for patching.
    uint64_t jump(uint64_t target) { byte(0xe9); return rel32(target); }
    uint64_t jump_if(uint8_t cc, uint64_t target) { byte(0x0f); byte(uint8_t(0x80 | cc)); return rel32(target); }

    static void patch_rel32(uint8_t* site_out, uint64_t site, uint64_t target) {
        int32_t rel = int32_t(int64_t(target) - int64_t(site + 4));
        std::memcpy(site_out, &rel, 4);
    }

private:
    uint64_t rel32(uint64_t target) {
        uint64_t site = here();
        size_ += 4;
        patch_rel32(out_ + size_ - 4, site, target);
        return site;
    }

    uint8_t* out_;
    uint64_t exec_;
    uint32_t size_ = 0;
};

}  // namespace vx::dbt
