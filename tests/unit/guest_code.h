#pragma once
// A few bytes of i386 code run as a Linux process's whole program: built
// here (system calls with their arguments in registers) and loaded into a
// sandbox as LinuxProcess finds a program.
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "vx/elf_loader.h"
#include "vx/sandbox.h"

namespace vx::testing {

inline constexpr uint32_t kCodeAt = 0x10000, kCodeStackTop = 0x400000;

// mov eax, nr; then each of `args` into ebx, ecx, edx, esi, edi; int $0x80.
inline std::vector<uint8_t> syscall_code(uint32_t nr, std::initializer_list<uint32_t> args = {}) {
    static constexpr uint8_t kMovTo[] = {0xb8, 0xbb, 0xb9, 0xba, 0xbe, 0xbf};  // mov eax/ebx/ecx/edx/esi/edi, imm32
    std::vector<uint8_t> code;
    auto mov = [&](uint8_t opcode, uint32_t value) {
        code.push_back(opcode);
        for (int i = 0; i < 4; ++i) code.push_back(uint8_t(value >> (8 * i)));
    };
    mov(kMovTo[0], nr);
    size_t reg = 1;
    for (uint32_t value : args) mov(kMovTo[reg++], value);
    code.insert(code.end(), {0xcd, 0x80});
    return code;
}

inline std::vector<uint8_t> operator+(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Maps `code` (at most a page) read and execute at kCodeAt and a 64 KiB
// stack below kCodeStackTop, points eip and esp at them, and returns the
// image a LinuxProcess runs.
inline ElfImage load_code(Sandbox& sandbox, const std::vector<uint8_t>& code) {
    GuestMemory& memory = sandbox.memory();
    memory.map(kCodeAt, 0x1000, kRead | kWrite);
    memory.write(kCodeAt, code.data(), code.size());
    memory.protect(kCodeAt, 0x1000, kRead | kExec);
    memory.map(kCodeStackTop - 0x10000, 0x10000, kRead | kWrite);
    sandbox.registers().eip = kCodeAt;
    sandbox.registers().esp = kCodeStackTop - 0x100;
    ElfImage image;
    image.entry = kCodeAt;
    image.image_end = kCodeAt + 0x1000;
    return image;
}

}  // namespace vx::testing
