#pragma once
// Writes x86-64 code into the code cache: Zydis-encoded instructions,
// branches to labels (bound before or after the branch), and the rel32
// branches the engine repoints when it chains blocks.
#include <Zydis/Zydis.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

namespace vx::dbt {

ZydisEncoderOperand reg(ZydisRegister r);
ZydisEncoderOperand imm(int64_t value);
// [base + index*scale + disp], `size` bytes; 32-bit bases address guest memory.
ZydisEncoderOperand mem(ZydisRegister base, int64_t disp, uint16_t size,
                        ZydisRegister index = ZYDIS_REGISTER_NONE, uint8_t scale = 0);

// A place in the code being written, which branches can name before it is
// bound: the Emitter fills in their displacements when it is.
struct Label {
    uint32_t id;
};

class Emitter {
public:
    // `out` is where bytes are written; `exec` is the address they will run at.
    Emitter(uint8_t* out, uint64_t exec) : out_(out), exec_(exec) {}

    uint64_t here() const { return exec_ + size_; }
    uint32_t size() const { return size_; }
    // The bytes written from offset `from` on.
    const uint8_t* written(uint32_t from) const { return out_ + from; }

    // Forgets what was written from `size` on (and the branches there).
    void truncate(uint32_t size);

    // Encodes one instruction; false (nothing written) if it has no encoding.
    bool encode(const ZydisEncoderRequest& request);
    // An instruction of the engine's own: it always encodes.
    void insn(ZydisMnemonic m, std::initializer_list<ZydisEncoderOperand> operands);
    // The same, with its memory operand in guest memory (%gs, 32-bit address).
    void guest_insn(ZydisMnemonic m, std::initializer_list<ZydisEncoderOperand> operands);
    // Puts the prefix byte `prefix` in front of the instruction written from `start`.
    void prefix(uint32_t start, uint8_t prefix);

    Label new_label();
    // `label` is here: the branches to it, before and after, reach this point.
    void bind(Label label);
    // True while a branch names a label not yet bound.
    bool has_unbound_branches() const { return !unresolved_.empty(); }

    // jmp/jcc rel32 (`jcc` a conditional jump's mnemonic, jz, jnz, jb, ...).
    // Each returns the address of its rel32 field: a site that retarget()
    // or the engine (patch_rel32) may point elsewhere later.
    uint64_t jump(Label target);
    uint64_t jump(uint64_t target);
    uint64_t jump_if(ZydisMnemonic jcc, Label target);
    // jrcxz rel8.
    void jump_if_rcx_zero(Label target);
    // loop, loope, loopne or jecxz rel8, with ecx as the counter (a 32-bit
    // address size), as the guest's own.
    void loop_ecx(ZydisMnemonic m, Label target);

    // r64 = r64 + disp32, the disp32 written as 0 and set later with set_int32
    // (always 4 bytes, whatever its value). Returns the disp32's address.
    uint64_t add_later(ZydisRegister r64);
    void set_int32(uint64_t site, int32_t value) { std::memcpy(out_ + (site - exec_), &value, 4); }
    // Bytes of the engine's own, as they are.
    void raw(const uint8_t* bytes, uint32_t n) { std::memcpy(out_ + size_, bytes, n), size_ += n; }
    // Replaces `n` bytes already written at offset `at` with as many others.
    void overwrite(uint32_t at, const uint8_t* bytes, uint32_t n) { std::memcpy(out_ + at, bytes, n); }

    // A string instruction on 64-bit addresses: `byte_opcode` is the opcode
    // of its byte form (movsb a4, cmpsb a6, stosb aa, lodsb ac, scasb ae),
    // `element` 1, 2 or 4 bytes, `rep_prefix` 0, f3 (rep/repe) or f2 (repne).
    // Written as operand size prefix, rep prefix, opcode (66 f3 a5).
    void string_op(uint8_t byte_opcode, uint8_t element, uint8_t rep_prefix);

    // Points the rel32 at `site` (written by this emitter) at `target`.
    void retarget(uint64_t site, uint64_t target) { patch_rel32(out_ + (site - exec_), site, target); }
    static void patch_rel32(uint8_t* site_out, uint64_t site, uint64_t target) {
        int32_t rel = int32_t(int64_t(target) - int64_t(site + 4));
        std::memcpy(site_out, &rel, 4);
    }

private:
    // A branch whose displacement (`width` bytes ending at `end`, an offset)
    // waits for its label.
    struct Unresolved {
        uint32_t end;
        uint8_t width;
        uint32_t label;
    };
    static constexpr int64_t kUnbound = -1;

    void byte(uint8_t b) { out_[size_++] = b; }
    // Encodes the branch `r` (its displacement 0 for now) and points it at `target`.
    uint64_t branch(ZydisEncoderRequest r, Label target);
    void resolve(const Unresolved& branch, uint32_t target);

    uint8_t* out_;
    uint64_t exec_;
    uint32_t size_ = 0;
    std::vector<int64_t> labels_;  // offset each is bound at, or kUnbound
    std::vector<Unresolved> unresolved_;
};

}  // namespace vx::dbt
