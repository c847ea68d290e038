#include "usage_report.h"

#include <nlohmann/json.hpp>

namespace vxrun {

std::string usage_json(const vx::os::linux_i386::RunOutcome& outcome, const RunSubject& run) {
    const vx::Usage& u = outcome.usage;
    nlohmann::ordered_json stats;  // the fields in the order the text report has them
    stats["program"] = run.program;
    stats["engine"] = vx::to_string(run.engine);
    stats["instructions"] = u.instructions ? nlohmann::ordered_json(*u.instructions) : nullptr;
    stats["cpu_time_s"] = double(u.cpu_time_ns) / 1e9;
    stats["wall_time_s"] = double(u.wall_time_ns) / 1e9;
    stats["memory_bytes"] = u.memory;
    stats["memory_peak_bytes"] = u.memory_peak;
    for (const vx::EngineStat& stat : u.engine) stats[stat.name] = stat.value;
    stats["host_mappings"] = u.host_mappings;
    stats["host_mappings_peak"] = u.host_mappings_peak;
    stats["host_confinement"] = outcome.host_confinement.empty() ? "none" : outcome.host_confinement;
    stats["syscalls"] = nlohmann::ordered_json::object();
    for (const auto& [name, count] : outcome.syscalls) stats["syscalls"][name] = count;
    // A path need not be UTF-8: its other bytes are written as U+FFFD rather
    // than failing the report.
    return stats.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void report_usage(FILE* out, const vx::os::linux_i386::RunOutcome& outcome, const RunSubject& run, bool json) {
    if (json) {
        std::fprintf(out, "%s\n", usage_json(outcome, run).c_str());
        return;
    }
    const vx::Usage& u = outcome.usage;
    const auto ull = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    const std::string confinement = outcome.host_confinement.empty() ? "none" : outcome.host_confinement;
    std::fprintf(out, "vxrun: stats:\n");
    if (u.instructions) std::fprintf(out, "  instructions        %llu\n", ull(*u.instructions));
    std::fprintf(out, "  cpu time            %.3f s\n", double(u.cpu_time_ns) / 1e9);
    std::fprintf(out, "  wall time           %.3f s\n", double(u.wall_time_ns) / 1e9);
    std::fprintf(out, "  memory              %llu bytes (peak %llu)\n", ull(u.memory), ull(u.memory_peak));
    std::fprintf(out, "  host mappings       %llu (peak %llu)\n", ull(u.host_mappings), ull(u.host_mappings_peak));
    std::fprintf(out, "  host confinement    %s\n", confinement.c_str());
    std::fprintf(out, "  engine              %s\n", vx::to_string(run.engine));
    for (const vx::EngineStat& stat : u.engine) std::fprintf(out, "    %-22s %llu\n", stat.name.c_str(), ull(stat.value));
    std::fprintf(out, "  system calls\n");
    for (const auto& [name, count] : outcome.syscalls) std::fprintf(out, "    %-18s %llu\n", name.c_str(), ull(count));
}

}  // namespace vxrun
