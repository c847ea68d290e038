// The ELF loader on whatever file a user may hand vxrun: the sandbox's check
// must accept exactly what load_program then loads, and neither may do
// anything but load or throw ElfError.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vx/elf_loader.h"
#include "vx/sandbox.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static vx::Sandbox sandbox(vx::SandboxOptions{.memory_size = 64u << 20});
    std::span<const uint8_t> file(data, size);
    bool checked = true;
    try {
        sandbox.check_program(file);
    } catch (const vx::ElfError&) {
        checked = false;
    }
    bool loaded = true;
    try {
        sandbox.load_program(file, {"fuzzed"}, {});
    } catch (const vx::ElfError&) {
        loaded = false;
    }
    if (checked != loaded) std::abort();  // the check and the loader disagree
    return 0;
}
