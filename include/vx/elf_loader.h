#pragma once
#include <cstdint>
#include <span>

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

// The bytes of guest pages `file`'s segments take once loaded (segments
// may share a page at their edges). Throws ElfError as check_elf does.
uint64_t elf_image_bytes(std::span<const uint8_t> file);

// Checks `file` completely, then maps its PT_LOAD segments into `memory`.
// Throws ElfError for anything but a well-formed static ET_EXEC for EM_386.
ElfImage load_elf(GuestMemory& memory, std::span<const uint8_t> file);

}  // namespace vx
