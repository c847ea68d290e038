#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

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

// The address of the function `name` in the static i386 executable `file`'s
// symbol tables (.symtab, SHT_SYMTAB): an STT_FUNC symbol defined in one of
// its sections (a global one before a local one of the same name). nullopt
// when there is none (a stripped file has none). Throws ElfError for a file
// check_elf would refuse, or whose section headers or symbol tables do not
// lie within it. Touches nothing.
std::optional<uint32_t> elf_symbol(std::span<const uint8_t> file, std::string_view name);

}  // namespace vx
