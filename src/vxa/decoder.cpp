#include "decoder.h"

#include <fstream>
#include <iterator>

#include "vx/elf_loader.h"
#include "vx/error.h"
#include "vx/host_functions.h"
#include "vx/sandbox.h"
#include "vx/snapshot.h"

namespace vxa {
namespace {

// The decoder's guest memory: its program where it was linked (static i386
// programs load at 128 MiB and up), a heap above it that vxa_decode is
// given, and a stack at the top that may grow into the room below it.
constexpr uint64_t kMemorySize = uint64_t(1) << 30;
constexpr uint32_t kHeapAddress = 0x10000000;
constexpr uint32_t kMaxHeapSize = 0x2c000000;  // to 960 MiB
// What the memory limit keeps for all but the heap (every mapped page
// counts, used or not): the program, the stack, the engine's translations.
constexpr uint64_t kReserved = uint64_t(64) << 20;
constexpr uint64_t kMinHeapSize = uint64_t(16) << 20;
constexpr uint32_t kStackTop = uint32_t(kMemorySize);
constexpr uint32_t kStackMapped = 64u << 10;
constexpr uint32_t kStackRoom = 32u << 20;
static_assert(uint64_t(kHeapAddress) + kMaxHeapSize <= kStackTop - kStackRoom);
// The most one vxa_read or vxa_write moves at a time.
constexpr uint32_t kMaxTransfer = 4u << 20;

// What vxa_decode's result means (guest/include/vx/vxa_decoder.h).
std::string decoder_result(uint32_t result) {
    switch (result) {
    case 1: return "the decoder found the data corrupt";
    case 2: return "data follow the end of the compressed stream";
    case 3: return "the compressed stream ends early (truncated)";
    case 4: return "the decoder ran out of heap";
    default: return "the decoder failed with code " + std::to_string(result);
    }
}

std::string mib(uint64_t bytes) { return std::to_string(bytes) + " bytes"; }

}  // namespace

std::optional<std::vector<uint8_t>> read_decoder(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Decoder::Member {
    std::span<const uint8_t> input;  // what it has not read yet
    size_t whole_input;
    uint64_t size;
    const Sink& sink;
    uint64_t written = 0;
    uint64_t unearned_ns = 0;  // CPU time it has before it moves a byte
};

Decoder::Decoder(std::span<const uint8_t> program, const DecoderLimits& limits)
    : limits_(limits), unearned_left_ns_(limits.cpu_unearned_ns) {
    if (limits_.memory < kReserved + kMinHeapSize)
        throw DecodeFailed("a decoder needs a memory limit of " + std::to_string((kReserved + kMinHeapSize) >> 20) +
                           " MiB at least");
    heap_size_ = uint32_t(std::min<uint64_t>(kMaxHeapSize, limits_.memory - kReserved) & ~uint64_t(vx::kPageSize - 1));
    vx::SandboxOptions options;
    options.memory_size = kMemorySize;
    options.limits.memory = limits_.memory;
    options.limits.cpu_time_ns = limits_.cpu_per_member_ns;  // moved as the member is read and written
    try {
        std::optional<uint32_t> entry = vx::elf_symbol(program, "vxa_decode");
        if (!entry) throw DecodeFailed("not a vxa decoder: it has no function vxa_decode");
        entry_ = *entry;
        sandbox_ = std::make_unique<vx::Sandbox>(options);
        sandbox_->check_program(program, kStackRoom);
        sandbox_->load_program(program);
        vx::GuestMemory& memory = sandbox_->memory();
        for (uint32_t page = kHeapAddress; page < kHeapAddress + heap_size_; page += vx::kPageSize)
            if (memory.mapped(page)) throw DecodeFailed("the decoder's program lies where its heap goes");
        if (!memory.map(kHeapAddress, heap_size_, vx::kRead | vx::kWrite) ||
            !memory.map(kStackTop - kStackMapped, kStackMapped, vx::kRead | vx::kWrite))
            throw DecodeFailed("the decoder's heap or stack could not be mapped");
        memory.set_grow_down(kStackTop - kStackRoom, kStackTop - kStackMapped);
        sandbox_->registers().esp = kStackTop;
        prepared_ = sandbox_->snapshot();
    } catch (const vx::ElfError& e) {
        throw DecodeFailed(std::string("not a static i386 program: ") + e.what());
    } catch (const vx::Error& e) {
        throw DecodeFailed(std::string("the decoder could not be loaded: ") + e.what());
    }
    add_host_functions();
}

Decoder::~Decoder() = default;

std::vector<long> Decoder::host_calls() const { return sandbox_->host_calls(); }

void Decoder::add_host_functions() {
    host_functions_ = std::make_unique<vx::HostFunctions>();
    host_functions_->add("vxa_read", 2, [this](vx::HostCall& call) -> uint64_t {
        Member& member = *member_;
        const uint32_t length = uint32_t(std::min<uint64_t>({call.arg(1), member.input.size(), kMaxTransfer}));
        call.write(call.arg(0), member.input.first(length));
        member.input = member.input.subspan(length);
        grant_cpu_time();
        return length;
    });
    host_functions_->add("vxa_write", 2, [this](vx::HostCall& call) -> uint64_t {
        Member& member = *member_;
        uint32_t address = call.arg(0), length = call.arg(1);
        if (length > member.size - member.written)
            call.refuse("it wrote more than the " + mib(member.size) + " the member declares");
        while (length > 0) {
            const uint32_t piece = std::min(length, kMaxTransfer);
            buffer_.resize(piece);
            call.read(address, buffer_);
            member.sink(buffer_);
            member.written += piece;
            address += piece;
            length -= piece;
        }
        grant_cpu_time();
        return 0;
    });
}

// The CPU time the decoder may have used by now: a member's own, and more
// for each MiB it has read or written (not for what it declares: an
// archive's claim buys no time).
void Decoder::grant_cpu_time() {
    const Member& member = *member_;
    sandbox_->set_cpu_time_limit(member.unearned_ns + limits_.cpu_per_mib_ns * (moved(member) >> 20));
}

uint64_t Decoder::moved(const Member& member) {
    return uint64_t(member.whole_input - member.input.size()) + member.written;
}

void Decoder::decode(std::span<const uint8_t> input, uint64_t size, const Sink& sink) {
    if (!unusable_.empty()) throw DecodeFailed(unusable_);
    if (unearned_left_ns_ == 0) {
        unusable_ = "its decoder used up the CPU time its members may take beyond what they read and write";
        throw DecodeFailed(unusable_);
    }
    Member member{input, input.size(), size, sink, 0, std::min(limits_.cpu_per_member_ns, unearned_left_ns_)};
    member_ = &member;
    sandbox_->restart_clocks(sandbox_->limits());
    grant_cpu_time();
    vx::CallOptions options;
    options.host_functions = host_functions_.get();
    uint32_t syscall_number = 0;
    options.on_event = [&](const vx::Event& event) {
        if (event.kind == vx::EventKind::Syscall) syscall_number = sandbox_->registers().eax;
        return false;
    };
    const uint32_t args[] = {kHeapAddress, heap_size_};
    vx::CallResult result;
    std::string failure;
    // Back to as loaded at once, whatever happened (also when the sink threw:
    // the disk is full), so that nothing of this member reaches the next and
    // the pages it touched are given back now. What it spent beyond its bytes
    // comes off what all its members may spend so.
    auto finish = [&] {
        const uint64_t earned = limits_.cpu_per_mib_ns * (moved(member) >> 20);
        const uint64_t used = sandbox_->usage().cpu_time_ns;
        unearned_left_ns_ -= std::min(unearned_left_ns_, used > earned ? used - earned : 0);
        member_ = nullptr;
        try {
            sandbox_->restore(*prepared_);
        } catch (const vx::Error& e) {
            unusable_ = std::string("the decoder could not be reset: ") + e.what();
        }
    };
    try {
        result = sandbox_->call(entry_, args, options);
    } catch (const vx::Error& e) {
        failure = std::string("the decoder could not be called: ") + e.what();
    } catch (...) {
        finish();
        throw;
    }
    finish();
    if (!failure.empty()) throw DecodeFailed(failure);
    if (!result.returned) {
        const vx::Event& event = result.event;
        if (event.kind == vx::EventKind::Syscall)
            throw DecodeFailed("the decoder made a system call (eax " + std::to_string(syscall_number) +
                               "), and a decoder is offered none");
        if (event.kind == vx::EventKind::Fault)
            throw DecodeFailed("the decoder faulted: " + vx::describe(event) + ": " +
                               sandbox_->describe_instruction(event.fault.eip));
        if (event.kind == vx::EventKind::LimitExceeded && event.limit_exceeded.limit == vx::Limit::CpuTime)
            unusable_ = "its decoder used up its CPU time on an earlier member, and is not run again";
        throw DecodeFailed("the decoder was stopped: " + vx::describe(event));
    }
    if (result.eax() != 0) throw DecodeFailed(decoder_result(result.eax()));
    if (!member.input.empty())
        throw DecodeFailed("the decoder left " + mib(member.input.size()) + " of its input unread");
    if (member.written != size)
        throw DecodeFailed("it decoded to " + mib(member.written) + ", and the member declares " + mib(size));
}

}  // namespace vxa
