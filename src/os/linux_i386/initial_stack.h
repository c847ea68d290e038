#pragma once
// A Linux i386 program's start: its initial stack (argc, argv, envp and the
// auxiliary vector, as the kernel lays them out) on a grow-down stack, and
// the whole load of a program into a sandbox, as execve does.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vx/elf_loader.h"
#include "vx/guest_memory.h"
#include "vx/sandbox.h"

namespace vx::os::linux_i386 {

struct StackLayout {
    uint32_t top = 0;    // one past the highest stack byte
    uint32_t size = 8u << 20;  // the most it may grow to (RLIMIT_STACK)
};

// Linux's initial expansion of a new stack beyond its arguments.
inline constexpr uint32_t kInitialStackSlack = 128u << 10;
// The bytes of stack build_initial_stack maps at first: the page-rounded
// bytes argv, envp and the auxiliary vector take, and kInitialStackSlack
// more, at most `size`.
uint32_t initial_stack_bytes(const std::vector<std::string>& argv, const std::vector<std::string>& envp,
                             uint32_t size);

// Maps the top of the stack (initial_stack_bytes) and writes a Linux i386
// initial stack in it (argc, argv, envp, auxv without AT_SYSINFO); the rest
// of the stack, down to top - size, becomes the memory's grow-down region
// (GuestMemory::set_grow_down). Returns the initial esp. Throws Error if it
// does not fit.
uint32_t build_initial_stack(GuestMemory& memory, const ElfImage& image,
                             const std::vector<std::string>& argv,
                             const std::vector<std::string>& envp,
                             const StackLayout& layout);

// Loads the static i386 executable `file` into `sandbox` in place of
// whatever it held (Sandbox::load_program) with its initial stack at the top
// of guest memory, growing down to `stack_size` (RLIMIT_STACK); eip and esp
// start it. Throws ElfError for a file it refuses, before anything changed:
// its image must also leave room for the stack.
ElfImage load_program(Sandbox& sandbox, std::span<const uint8_t> file, const std::vector<std::string>& argv,
                      const std::vector<std::string>& envp, uint32_t stack_size);
// Throws ElfError for a file load_program would refuse.
void check_program(const Sandbox& sandbox, std::span<const uint8_t> file, uint32_t stack_size);

}  // namespace vx::os::linux_i386
