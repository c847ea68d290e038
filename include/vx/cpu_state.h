#pragma once
#include <cstdint>
#include <variant>

#include "vx/registers.h"

namespace vx {

// The instruction set a guest runs (SandboxOptions::arch). Engines say which
// they run (vx::engine_arches).
enum class Arch { i386, x86_64 };

const char* to_string(Arch arch);  // "i386", "x86_64"

// The guest's x86-64 general registers, in x86 encoding order (rax=0 ...
// r15=15). The %fs and %gs bases are not here: as for i386 guests they are
// segment state, set through Sandbox::set_segment.
struct Registers64 {
    uint64_t rax = 0, rcx = 0, rdx = 0, rbx = 0, rsp = 0, rbp = 0, rsi = 0, rdi = 0;
    uint64_t r8 = 0, r9 = 0, r10 = 0, r11 = 0, r12 = 0, r13 = 0, r14 = 0, r15 = 0;
    uint64_t rip = 0;
    uint64_t rflags = 0x202;

    // The general register with x86 encoding `index` (0 = rax ... 15 = r15).
    uint64_t& gpr(unsigned index) {
        uint64_t* order[16] = {&rax, &rcx, &rdx, &rbx, &rsp, &rbp, &rsi, &rdi,
                               &r8,  &r9,  &r10, &r11, &r12, &r13, &r14, &r15};
        return *order[index & 15];
    }
};

// A guest's CPU registers: those of its architecture, and which that is.
// Asking for another architecture's registers throws vx::Error naming both:
// an engine or a personality of one architecture never reads the other's
// registers as its own.
class CpuState {
public:
    // `arch`'s registers as a program starts with them (all 0, flags 0x202).
    explicit CpuState(Arch arch = Arch::i386);
    CpuState(const Registers& registers) : registers_(registers) {}
    CpuState(const Registers64& registers) : registers_(registers) {}

    Arch arch() const { return std::holds_alternative<Registers>(registers_) ? Arch::i386 : Arch::x86_64; }

    Registers& i386();
    const Registers& i386() const;
    Registers64& x86_64();
    const Registers64& x86_64() const;

private:
    [[noreturn]] void wrong_arch(Arch asked) const;

    std::variant<Registers, Registers64> registers_;
};

}  // namespace vx
