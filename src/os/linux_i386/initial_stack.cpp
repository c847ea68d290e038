// The Linux i386 process entry stack: argc, argv[], NULL, envp[], NULL, auxv
// pairs ending in AT_NULL, then the strings and AT_RANDOM's bytes above them.
#include <elf.h>
#include <sys/random.h>
#include <cpuid.h>

#include <algorithm>
#include <cstring>

#include "os/linux_i386/initial_stack.h"
#include "os/linux_i386/abi.h"

namespace vx::os::linux_i386 {
namespace {

class StackWriter {
public:
    StackWriter(GuestMemory& memory, uint32_t top, uint32_t bottom)
        : memory_(memory), sp_(top), bottom_(bottom) {}

    uint32_t push_bytes(const void* data, uint32_t length) {
        if (sp_ - bottom_ < length) throw Error("arguments and environment do not fit on the stack");
        sp_ -= length;
        if (!memory_.write(sp_, data, length)) throw Error("cannot write the initial stack");
        return sp_;
    }
    uint32_t push_string(const std::string& s) { return push_bytes(s.c_str(), s.size() + 1); }
    void align_down(uint32_t alignment) { sp_ &= ~(alignment - 1); }
    uint32_t sp() const { return sp_; }

private:
    GuestMemory& memory_;
    uint32_t sp_, bottom_;
};

uint32_t cpuid_edx_features() {
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) ? d : 0;
}

// The auxiliary vector's pairs, AT_NULL's included (see build_initial_stack).
constexpr uint32_t kAuxvPairs = 18;
constexpr char kPlatform[] = "i686";

}  // namespace

uint32_t initial_stack_bytes(const std::vector<std::string>& argv, const std::vector<std::string>& envp,
                             uint32_t size) {
    // As build_initial_stack lays it out: the end marker, execfn, the
    // platform, the strings, AT_RANDOM's bytes, then the words, with room
    // for both alignments.
    uint64_t bytes = 4 + (argv.empty() ? 0 : argv[0].size()) + 1 + sizeof kPlatform + 16 + 15 + 15;
    for (const std::string& s : argv) bytes += s.size() + 1;
    for (const std::string& s : envp) bytes += s.size() + 1;
    bytes += (1 + argv.size() + 1 + envp.size() + 1 + 2 * kAuxvPairs) * 4;
    const uint64_t mapped = (bytes + kPageSize - 1) / kPageSize * kPageSize + kInitialStackSlack;
    return uint32_t(std::min<uint64_t>(mapped, size));
}

uint32_t build_initial_stack(GuestMemory& memory, const ElfImage& image,
                             const std::vector<std::string>& argv,
                             const std::vector<std::string>& envp, const StackLayout& layout) {
    if (layout.top > memory.size() || layout.size > layout.top || layout.top % kPageSize ||
        layout.size % kPageSize)
        throw Error("stack layout does not fit guest memory");
    if (layout.top - layout.size < image.image_end) throw Error("stack would overlap the program image");
    const uint32_t bottom = layout.top - initial_stack_bytes(argv, envp, layout.size);
    if (!memory.map(bottom, layout.top - bottom, kRead | kWrite))
        throw Error("the stack needs more host mappings than allowed");
    memory.set_grow_down(layout.top - layout.size, bottom);

    StackWriter stack(memory, layout.top, bottom);
    stack.push_bytes("\0\0\0\0", 4);  // an end marker above everything, as Linux leaves
    uint32_t execfn = stack.push_string(argv.empty() ? std::string() : argv[0]);
    uint32_t platform = stack.push_bytes(kPlatform, sizeof kPlatform);
    std::vector<uint32_t> argv_ptrs, envp_ptrs;
    for (auto it = envp.rbegin(); it != envp.rend(); ++it) envp_ptrs.insert(envp_ptrs.begin(), stack.push_string(*it));
    for (auto it = argv.rbegin(); it != argv.rend(); ++it) argv_ptrs.insert(argv_ptrs.begin(), stack.push_string(*it));
    uint8_t random_bytes[16];
    if (getrandom(random_bytes, sizeof random_bytes, 0) != sizeof random_bytes)
        throw Error("getrandom failed");
    uint32_t random = stack.push_bytes(random_bytes, sizeof random_bytes);

    std::vector<uint32_t> words;
    words.push_back(uint32_t(argv_ptrs.size()));
    words.insert(words.end(), argv_ptrs.begin(), argv_ptrs.end());
    words.push_back(0);
    words.insert(words.end(), envp_ptrs.begin(), envp_ptrs.end());
    words.push_back(0);
    const std::pair<uint32_t, uint32_t> auxv[kAuxvPairs] = {
        {AT_PHDR, image.phdr_addr}, {AT_PHENT, image.phent},  {AT_PHNUM, image.phnum},
        {AT_PAGESZ, kPageSize},     {AT_BASE, 0},             {AT_FLAGS, 0},
        {AT_ENTRY, image.entry},    {AT_UID, 0},              {AT_EUID, 0},
        {AT_GID, 0},                {AT_EGID, 0},             {AT_SECURE, 0},
        {AT_HWCAP, cpuid_edx_features()}, {AT_CLKTCK, 100},  {AT_PLATFORM, platform},
        {AT_RANDOM, random},        {AT_EXECFN, execfn},      {AT_NULL, 0},
    };
    for (auto [key, value] : auxv) {
        words.push_back(key);
        words.push_back(value);
    }
    stack.align_down(16);
    uint64_t bytes = uint64_t(words.size()) * 4;
    // esp must be 16-byte aligned at entry, with argc at [esp].
    if (bytes + 15 > stack.sp() - bottom) throw Error("arguments and environment do not fit on the stack");
    uint32_t esp = uint32_t(stack.sp() - bytes) & ~15u;
    if (!memory.write(esp, words.data(), bytes)) throw Error("cannot write the initial stack");
    return esp;
}

void check_program(const Sandbox& sandbox, std::span<const uint8_t> file, uint32_t stack_size) {
    if (stack_size >= sandbox.memory().size()) throw Error("the stack size leaves no guest memory for a program");
    sandbox.check_program(file, stack_size);
}

ElfImage load_program(Sandbox& sandbox, std::span<const uint8_t> file, const std::vector<std::string>& argv,
                      const std::vector<std::string>& envp, uint32_t stack_size) {
    check_program(sandbox, file, stack_size);
    ElfImage image = sandbox.load_program(file);
    sandbox.set_selectors(kUserSelectors);
    GuestMemory& memory = sandbox.memory();
    sandbox.registers().esp = build_initial_stack(memory, image, argv, envp, {uint32_t(memory.size()), stack_size});
    return image;
}

}  // namespace vx::os::linux_i386
