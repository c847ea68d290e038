#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vx {

// What a sandbox may spend. Each limit a guest reaches stops it with a
// LimitExceeded event (see event.h); none of them is ever the host's problem.
enum class Limit {
    Memory,        // bytes the host spends on the guest: its pages, translations, lookup tables
    CpuTime,       // nanoseconds of CPU on the thread that runs the sandbox
    WallTime,      // nanoseconds since the sandbox first ran
    Instructions,  // guest instructions (fuel)
    Output,        // bytes written to descriptors (stdout, stderr, files, pipes)
    FileSize,      // bytes: the largest a write may make a file
    OpenFiles,     // descriptors open at once (reported as EMFILE, as Linux does)
    Processes,     // guest processes alive at once (reported as EAGAIN)
    HostMappings,  // host mappings (VMAs) the guest's pages make (beyond it, ENOMEM, as Linux's map count)
};
const char* to_string(Limit limit);
// The amount in the limit's own unit, for people: "1.50 s", "64.0 MiB", "1000000".
std::string format_amount(Limit limit, uint64_t amount);

// The limits the engine enforces itself. Unset: no limit.
struct EngineLimits {
    std::optional<uint64_t> memory;        // bytes
    std::optional<uint64_t> cpu_time_ns;
    std::optional<uint64_t> wall_time_ns;
    std::optional<uint64_t> instructions;  // the fuel the sandbox starts with
    // Host mappings the guest's pages may make: a quarter of Linux's default
    // vm.max_map_count (65530), which the host process shares with its own.
    uint32_t host_mappings = 16384;
    bool operator==(const EngineLimits&) const = default;
};

// A limit reached: which, how much was used when it stopped (at least `maximum`,
// or what a request would have made it), and the limit itself.
struct LimitExceeded {
    Limit limit = Limit::Memory;
    uint64_t used = 0;
    uint64_t maximum = 0;
    // The limit of one call into the guest (CallLimits): it ended that call,
    // and the sandbox is not stopped by it.
    bool per_call = false;
};

// A count an engine keeps of its own work, for people and tools: what it is
// ("translations", "code_cache_peak_bytes": a name in snake case, units as
// a suffix) and its value. Each engine has its own; none is a limit.
struct EngineStat {
    std::string name;
    uint64_t value = 0;
    bool operator==(const EngineStat&) const = default;
};

// What a sandbox has used so far.
struct Usage {
    std::optional<uint64_t> instructions;  // when fuel is counted
    uint64_t cpu_time_ns = 0;
    uint64_t wall_time_ns = 0;
    uint64_t memory = 0;             // bytes, as the memory limit counts them
    uint64_t memory_peak = 0;
    uint64_t host_mappings = 0;      // host mappings the guest's pages make now (as the limit counts them)
    uint64_t host_mappings_peak = 0;
    std::vector<EngineStat> engine;  // the engine's own counts, in its order
    // The engine's count called `name`, if it keeps one.
    std::optional<uint64_t> engine_stat(std::string_view name) const {
        for (const EngineStat& stat : engine)
            if (stat.name == name) return stat.value;
        return std::nullopt;
    }
};

}  // namespace vx
