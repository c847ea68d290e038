// The ELF loader on whatever file a user may hand vxrun: the Linux
// personality's check must accept exactly what its load_program then loads
// (the image, and the stack above it), and neither may do anything but load
// or throw ElfError.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "os/linux_i386/initial_stack.h"
#include "vx/elf_loader.h"
#include "vx/sandbox.h"

constexpr uint32_t kStackSize = 8u << 20;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static vx::Sandbox sandbox(vx::SandboxOptions{.memory_size = 64u << 20});
    std::span<const uint8_t> file(data, size);
    bool checked = true;
    try {
        vx::os::linux_i386::check_program(sandbox, file, kStackSize);
    } catch (const vx::ElfError&) {
        checked = false;
    }
    bool loaded = true;
    try {
        vx::os::linux_i386::load_program(sandbox, file, {"fuzzed"}, {}, kStackSize);
    } catch (const vx::ElfError&) {
        loaded = false;
    }
    if (checked != loaded) std::abort();  // the check and the loader disagree
    return 0;
}
