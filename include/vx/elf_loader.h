#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vx/error.h"
#include "vx/guest_memory.h"

namespace vx {

// The file is not a runnable static i386 executable; what() says why.
class ElfError : public Error {
public:
    using Error::Error;
};

struct ElfImage {
    uint32_t entry = 0;
    uint32_t phdr_addr = 0;   // program headers as seen by the guest (AT_PHDR)
    uint16_t phent = 0, phnum = 0;
    uint32_t image_end = 0;   // first page past the highest segment: where brk starts
};

// Throws ElfError unless `file` is a well-formed static ET_EXEC for EM_386
// whose segments all end below `memory_size`. Touches nothing.
void check_elf(std::span<const uint8_t> file, uint32_t memory_size);

// Checks `file` completely, then maps its PT_LOAD segments into `memory`.
// Throws ElfError for anything but a well-formed static ET_EXEC for EM_386.
ElfImage load_elf(GuestMemory& memory, std::span<const uint8_t> file);

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

}  // namespace vx
