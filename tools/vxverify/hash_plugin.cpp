#include "hash_plugin.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vx/elf_loader.h"
#include "vx/error.h"

namespace vxverify {
namespace {

// The plug-in's guest memory, below its program (which loads at 128 MiB) and
// its stack (at the top). Each buffer is followed by an unmapped page, so that
// running off its end faults.
constexpr uint64_t kMemorySize = uint64_t(256) << 20;
constexpr uint32_t kStateAddress = 0x00100000;
constexpr uint32_t kMaxStateSize = 64u << 10;
constexpr uint32_t kDigestPage = 0x00200000;  // the digest ends where the page does
constexpr uint32_t kMaxDigestSize = 64;
constexpr uint32_t kDataAddress = 0x00400000;
constexpr uint32_t kMaxChunk = 64u << 20;
constexpr uint32_t kStackTop = uint32_t(kMemorySize);
constexpr uint32_t kStackMapped = 64u << 10;
// Room the stack may grow down into (as far as the memory limit admits): no
// program may reach into it.
constexpr uint32_t kStackRoom = 64u << 20;
// What the digest page holds outside the digest: a plug-in that writes there
// wrote outside what it was given.
constexpr uint8_t kCanary = 0xa5;
// The instructions any call may run with fuel on, beside those per byte.
constexpr uint64_t kInstructionsPerCall = 100'000'000;

uint32_t round_to_pages(uint32_t bytes) { return (bytes + vx::kPageSize - 1) & ~(vx::kPageSize - 1); }

std::string hex(uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%x", value);
    return text;
}

}  // namespace

HashPlugin::HashPlugin(std::string name, const std::vector<uint8_t>& program, const PluginLimits& limits)
    : name_(std::move(name)), limits_(limits) {
    if (limits_.chunk == 0 || limits_.chunk > kMaxChunk)
        throw std::invalid_argument("chunk size must be 1 byte to 64 MiB");
    vx::SandboxOptions options;
    options.memory_size = kMemorySize;
    options.limits.memory = limits_.memory;
    if (limits_.instructions_per_byte) options.limits.instructions = uint64_t(1) << 62;  // bounded per call
    try {
        sandbox_ = std::make_unique<vx::Sandbox>(options);
        sandbox_->check_program(program, kStackRoom);
        sandbox_->load_program(program);
    } catch (const vx::ElfError& e) {
        throw PluginStopped("plug-in " + name_ + " is not a static i386 program: " + e.what());
    } catch (const vx::Error& e) {
        throw PluginStopped("plug-in " + name_ + " could not be loaded: " + e.what());
    }
    init_ = function(program, "vx_hash_init");
    update_ = function(program, "vx_hash_update");
    final_ = function(program, "vx_hash_final");
    const uint32_t state_size_entry = function(program, "vx_hash_state_size");
    const uint32_t digest_size_entry = function(program, "vx_hash_digest_size");

    vx::GuestMemory& memory = sandbox_->memory();
    if (!memory.map(kStackTop - kStackMapped, kStackMapped, vx::kRead | vx::kWrite))
        throw PluginStopped("plug-in " + name_ + ": its program lies where its stack goes");
    memory.set_grow_down(kStackTop - kStackRoom, kStackTop - kStackMapped);
    sandbox_->registers().esp = kStackTop;

    state_size_ = call("vx_hash_state_size", state_size_entry, {}, 0);
    if (state_size_ == 0 || state_size_ > kMaxStateSize)
        stopped("vx_hash_state_size", "returned " + std::to_string(state_size_) + ", not 1 to 65536");
    digest_size_ = call("vx_hash_digest_size", digest_size_entry, {}, 0);
    if (digest_size_ == 0 || digest_size_ > kMaxDigestSize)
        stopped("vx_hash_digest_size", "returned " + std::to_string(digest_size_) + ", not 1 to 64");

    const std::vector<uint8_t> canary(vx::kPageSize, kCanary);
    const uint32_t data_end = kDataAddress + round_to_pages(limits_.chunk);
    auto unmapped = [&](uint32_t from, uint32_t to) {
        for (uint32_t page = from; page < to; page += vx::kPageSize)
            if (memory.mapped(page)) return false;
        return true;
    };
    if (!memory.map(kStateAddress, round_to_pages(state_size_), vx::kRead | vx::kWrite) ||
        !memory.map(kDigestPage, vx::kPageSize, vx::kRead | vx::kWrite) ||
        !memory.write(kDigestPage, canary.data(), canary.size()) || !unmapped(kDataAddress, data_end))
        throw PluginStopped("plug-in " + name_ + ": its program lies where its buffers go (below " + hex(data_end) +
                            ")");
    try {
        prepared_ = sandbox_->snapshot();
        // The data is read from the file straight into a buffer the plug-in
        // maps (read-only): no copy, and nothing it could change under us.
        chunk_ = std::make_unique<vx::SharedBuffer>(round_to_pages(limits_.chunk));
        map_chunk();
    } catch (const vx::Error& e) {
        throw PluginStopped("plug-in " + name_ + ": no snapshot of it: " + e.what());
    }
}

void HashPlugin::map_chunk() {
    if (!sandbox_->memory().map_buffer(kDataAddress, *chunk_, vx::kRead))
        throw PluginStopped("plug-in " + name_ + ": its data buffer could not be mapped (the host refused)");
}

HashPlugin::~HashPlugin() = default;

uint32_t HashPlugin::function(const std::vector<uint8_t>& program, const char* name) {
    std::optional<uint32_t> entry;
    try {
        entry = vx::elf_symbol(program, name);
    } catch (const vx::Error& e) {
        throw PluginStopped("plug-in " + name_ + ": its symbol table is broken: " + e.what());
    }
    if (!entry) throw PluginStopped("plug-in " + name_ + " has no function " + name);
    return *entry;
}

void HashPlugin::stopped(const char* function, const std::string& what) {
    throw PluginStopped("plug-in " + name_ + " stopped in " + function + ": " + what);
}

uint32_t HashPlugin::call(const char* function, uint32_t entry, std::vector<uint32_t> args, uint64_t bytes_given) {
    vx::CallOptions options;
    options.limits.cpu_time_ns = limits_.cpu_per_call_ns + limits_.cpu_per_mib_ns * bytes_given / (1u << 20);
    if (limits_.instructions_per_byte)
        options.limits.instructions = kInstructionsPerCall + *limits_.instructions_per_byte * bytes_given;
    // Every event ends the call (the plug-in is offered no system call); the
    // handler only notes what the guest asked for.
    uint32_t syscall_number = 0;
    options.on_event = [&](const vx::Event& event) {
        if (event.kind == vx::EventKind::Syscall) syscall_number = sandbox_->registers().eax;
        return false;
    };
    vx::CallResult result;
    try {
        result = sandbox_->call(entry, args, options);
    } catch (const vx::Error& e) {
        stopped(function, std::string("could not be called: ") + e.what());
    }
    if (result.returned) return result.eax();
    const vx::Event& event = result.event;
    switch (event.kind) {
    case vx::EventKind::Syscall:
        stopped(function, "made a system call (int $0x80, eax " + std::to_string(syscall_number) +
                              "), and a plug-in is offered none");
    case vx::EventKind::Fault:
        stopped(function, "faulted: " + vx::describe(event) + ": " + sandbox_->describe_instruction(event.fault.eip));
    case vx::EventKind::LimitExceeded:
        stopped(function, vx::describe(event));
    default:
        stopped(function, vx::describe(event));
    }
}

std::vector<uint8_t> HashPlugin::hash(int fd) {
    if (!clean_) {
        try {
            sandbox_->restore(*prepared_);  // which unmaps the data buffer
            map_chunk();
        } catch (const vx::Error& e) {
            throw PluginStopped("plug-in " + name_ + " could not be reset: " + e.what());
        }
    }
    clean_ = false;
    call("vx_hash_init", init_, {kStateAddress}, 0);
    for (bool more = true; more;) {
        size_t filled = 0;
        while (filled < limits_.chunk) {
            const ssize_t got = ::read(fd, chunk_->data() + filled, limits_.chunk - filled);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) throw ReadError(std::strerror(errno));
            if (got == 0) break;
            filled += size_t(got);
        }
        more = filled == limits_.chunk;
        if (filled == 0) break;
        // Nothing of the last file (or chunk) past what this call is given.
        std::memset(chunk_->data() + filled, 0, chunk_->size() - filled);
        call("vx_hash_update", update_, {kStateAddress, kDataAddress, uint32_t(filled)}, filled);
    }
    const uint32_t digest_address = kDigestPage + vx::kPageSize - digest_size_;
    const uint32_t returned = call("vx_hash_final", final_, {kStateAddress, digest_address}, 0);
    if (returned != digest_address)
        stopped("vx_hash_final", "returned " + hex(returned) + ", not the digest pointer it was given (" +
                                     hex(digest_address) + ")");
    std::vector<uint8_t> page(vx::kPageSize);
    if (!sandbox_->memory().read(kDigestPage, page.data(), page.size()))
        stopped("vx_hash_final", "its digest buffer is gone");
    for (uint32_t i = 0; i < vx::kPageSize - digest_size_; ++i)
        if (page[i] != kCanary)
            stopped("vx_hash_final", "wrote outside its digest (at " + hex(kDigestPage + i) + ", " +
                                         std::to_string(digest_address - kDigestPage - i) + " bytes before it)");
    return {page.end() - digest_size_, page.end()};
}

}  // namespace vxverify
