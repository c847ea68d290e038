#pragma once
// A decoder an archive carries (docs/vxa-format.md, "Decoders"), run in a
// sandbox of its own: a vx plug-in loaded once and snapshotted, then reset
// to that snapshot for every member, so that nothing of one member's run
// reaches the next. It reads the member's compressed data and writes what it
// decodes through two host functions, and nothing else: no system call, no
// file. Whatever stops it (a fault, a limit, more output than the member
// declares, a system call) fails that member, with the reason, and the next
// member starts from the snapshot again (restored as soon as a member is
// done, so that an idle decoder holds no pages of the last one).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "codec.h"

namespace vx {
class HostFunctions;
class Sandbox;
class Snapshot;
}  // namespace vx

namespace vxa {

struct DecoderLimits {
    // Host memory the decoder's sandbox may cost (80 MiB at least): 64 MiB
    // for its program, stack and translations, the rest for its heap.
    uint64_t memory = uint64_t(512) << 20;
    uint64_t cpu_per_member_ns = 500'000'000;  // CPU time of any member ...
    uint64_t cpu_per_mib_ns = 1'000'000'000;   // ... and that much more per MiB it has read and written
    // What all the members one decoder decodes may spend beyond what their
    // bytes earned: many tiny members buy no more than this.
    uint64_t cpu_unearned_ns = 10'000'000'000;
};

// Why a member could not be decoded (or a decoder not loaded): one line.
class DecodeFailed : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The decoder file at `path`, whole; none when it cannot be read.
std::optional<std::vector<uint8_t>> read_decoder(const std::string& path);

class Decoder {
public:
    // Loads and prepares `program`; throws DecodeFailed when it is not a
    // decoder (not a static i386 program, no vxa_decode) or cannot be loaded.
    Decoder(std::span<const uint8_t> program, const DecoderLimits& limits);
    ~Decoder();
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;

    // Decodes `input`, which must give exactly `size` bytes: each piece goes
    // to `sink` as the decoder writes it. Throws DecodeFailed.
    void decode(std::span<const uint8_t> input, uint64_t size, const Sink& sink);
    // The host system calls its sandbox makes (vx::Sandbox::host_calls).
    std::vector<long> host_calls() const;

private:
    struct Member;
    void add_host_functions();
    void grant_cpu_time();
    static uint64_t moved(const Member& member);  // bytes it has read and written

    DecoderLimits limits_;
    std::unique_ptr<vx::Sandbox> sandbox_;
    std::shared_ptr<const vx::Snapshot> prepared_;
    std::unique_ptr<vx::HostFunctions> host_functions_;
    uint32_t entry_ = 0;
    uint32_t heap_size_ = 0;  // what the memory limit leaves for the heap
    // Why it is not run again (it could not be reset, or it used up its
    // CPU time: a decoder that loops on one member would on each).
    std::string unusable_;
    uint64_t unearned_left_ns_;
    Member* member_ = nullptr;  // the member being decoded
    std::vector<uint8_t> buffer_;  // output on its way from guest memory to the sink
};

}  // namespace vxa
