#pragma once
// A hash plug-in (examples/verify/README.md) loaded into a sandbox of its
// own and prepared once: its state and digest buffers mapped in guest
// memory, a stack that may grow to the memory limit, and a snapshot of all
// that, from which every hash starts again, so that nothing of one file's
// run reaches the next. Its data is a shared buffer it may only read, which
// the host reads files into: no copy. Every call has limits of its own; whatever stops a
// call (a fault, a limit, a system call, a result it may not give) is a
// PluginStopped naming the function and what happened.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "vx/sandbox.h"
#include "vx/shared_buffer.h"
#include "vx/snapshot.h"

namespace vxverify {

struct PluginLimits {
    uint64_t memory = uint64_t(64) << 20;        // what the plug-in's sandbox may cost the host
    uint32_t chunk = 1u << 20;                   // bytes given to one vx_hash_update call
    uint64_t cpu_per_call_ns = 1'000'000'000;    // CPU time of any call ...
    uint64_t cpu_per_mib_ns = 1'000'000'000;     // ... and that much more per MiB it is given
    // Fuel: guest instructions a call may run per byte it is given (beside a
    // fixed allowance); none: calls are bounded by CPU time alone.
    std::optional<uint64_t> instructions_per_byte;
};

// A plug-in that could not be used, or was stopped: one line for people.
class PluginStopped : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A file that could not be read (the host's error, not the plug-in's).
class ReadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class HashPlugin {
public:
    // Loads and prepares the plug-in; throws PluginStopped when it is not
    // one (not a static i386 program, a function missing) or misbehaves
    // while being asked its sizes.
    HashPlugin(std::string name, const std::vector<uint8_t>& program, const PluginLimits& limits);
    ~HashPlugin();

    const std::string& name() const { return name_; }
    uint32_t digest_size() const { return digest_size_; }
    std::vector<long> host_calls() const { return sandbox_->host_calls(); }
    // The digest of what `fd` holds, read to its end; throws PluginStopped
    // or ReadError.
    std::vector<uint8_t> hash(int fd);

private:
    struct Call;
    uint32_t function(const std::vector<uint8_t>& program, const char* name);
    uint32_t call(const char* function, uint32_t entry, std::vector<uint32_t> args, uint64_t bytes_given);
    [[noreturn]] void stopped(const char* function, const std::string& what);
    void map_chunk();

    std::string name_;
    PluginLimits limits_;
    std::unique_ptr<vx::Sandbox> sandbox_;
    std::shared_ptr<const vx::Snapshot> prepared_;
    bool clean_ = true;  // the sandbox is still as prepared_
    uint32_t state_size_ = 0, digest_size_ = 0;
    uint32_t init_ = 0, update_ = 0, final_ = 0;
    std::unique_ptr<vx::SharedBuffer> chunk_;  // the data a vx_hash_update call is given
};

}  // namespace vxverify
