#include "vx/cpu_state.h"

#include <string>

#include "vx/error.h"

namespace vx {

const char* to_string(Arch arch) {
    switch (arch) {
    case Arch::i386: return "i386";
    case Arch::x86_64: return "x86_64";
    }
    return "unknown";
}

CpuState::CpuState(Arch arch) {
    switch (arch) {
    case Arch::i386: registers_ = Registers{}; return;
    case Arch::x86_64: registers_ = Registers64{}; return;
    }
    throw Error("no such guest architecture (" + std::to_string(int(arch)) + ")");
}

void CpuState::wrong_arch(Arch asked) const {
    throw Error(std::string("the guest's CPU state is ") + to_string(arch()) + ", not " + to_string(asked));
}

Registers& CpuState::i386() {
    if (auto* registers = std::get_if<Registers>(&registers_)) return *registers;
    wrong_arch(Arch::i386);
}

const Registers& CpuState::i386() const {
    if (auto* registers = std::get_if<Registers>(&registers_)) return *registers;
    wrong_arch(Arch::i386);
}

Registers64& CpuState::x86_64() {
    if (auto* registers = std::get_if<Registers64>(&registers_)) return *registers;
    wrong_arch(Arch::x86_64);
}

const Registers64& CpuState::x86_64() const {
    if (auto* registers = std::get_if<Registers64>(&registers_)) return *registers;
    wrong_arch(Arch::x86_64);
}

}  // namespace vx
