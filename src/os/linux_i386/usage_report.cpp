#include "os/linux_i386/usage_report.h"

#include <string>
#include <utility>
#include <vector>

#include "os/linux_i386/syscall_table.h"

namespace vx::os::linux_i386 {
namespace {

std::vector<std::pair<std::string, uint64_t>> calls_by_name(const LinuxProcess& process) {
    std::vector<std::pair<std::string, uint64_t>> calls;
    const std::vector<uint64_t>& counts = process.syscall_counts();
    for (uint32_t nr = 0; nr < counts.size(); ++nr) {
        if (!counts[nr]) continue;
        const SyscallEntry* entry = find_syscall(nr);
        calls.emplace_back(entry ? entry->name : "syscall_" + std::to_string(nr), counts[nr]);
    }
    return calls;
}

}  // namespace

void report_usage(FILE* out, const Sandbox& sandbox, const LinuxProcess& process, bool json) {
    const Usage u = sandbox.usage();
    const auto calls = calls_by_name(process);
    // Plain words, no quotes or backslashes: safe inside a JSON string.
    const std::string confinement = process.host_confinement().empty() ? "none" : process.host_confinement();
    const auto ull = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    if (json) {
        std::fprintf(out, "{\"instructions\": ");
        if (u.instructions) std::fprintf(out, "%llu", ull(*u.instructions));
        else std::fprintf(out, "null");
        std::fprintf(out,
                     ", \"cpu_time_s\": %.6f, \"wall_time_s\": %.6f, \"translations\": %llu, "
                     "\"code_cache_flushes\": %llu, \"code_cache_bytes\": %llu, \"code_cache_peak_bytes\": %llu, "
                     "\"memory_bytes\": %llu, \"memory_peak_bytes\": %llu, \"code_writes\": %llu, "
                     "\"host_mappings\": %llu, \"host_mappings_peak\": %llu, \"host_confinement\": \"%s\", \"syscalls\": {",
                     double(u.cpu_time_ns) / 1e9, double(u.wall_time_ns) / 1e9, ull(u.translations),
                     ull(u.code_cache_flushes), ull(u.code_cache_used), ull(u.code_cache_peak), ull(u.memory),
                     ull(u.memory_peak), ull(u.code_writes), ull(u.host_mappings), ull(u.host_mappings_peak),
                     confinement.c_str());
        for (size_t i = 0; i < calls.size(); ++i)
            std::fprintf(out, "%s\"%s\": %llu", i ? ", " : "", calls[i].first.c_str(), ull(calls[i].second));
        std::fprintf(out, "}}\n");
        return;
    }
    std::fprintf(out, "vxrun: stats:\n");
    if (u.instructions) std::fprintf(out, "  instructions        %llu\n", ull(*u.instructions));
    std::fprintf(out, "  cpu time            %.3f s\n", double(u.cpu_time_ns) / 1e9);
    std::fprintf(out, "  wall time           %.3f s\n", double(u.wall_time_ns) / 1e9);
    std::fprintf(out, "  translations        %llu (%llu code cache flushes)\n", ull(u.translations),
                 ull(u.code_cache_flushes));
    std::fprintf(out, "  code cache          %llu bytes (peak %llu)\n", ull(u.code_cache_used), ull(u.code_cache_peak));
    std::fprintf(out, "  memory              %llu bytes (peak %llu)\n", ull(u.memory), ull(u.memory_peak));
    std::fprintf(out, "  writes to code      %llu\n", ull(u.code_writes));
    std::fprintf(out, "  host mappings       %llu (peak %llu)\n", ull(u.host_mappings), ull(u.host_mappings_peak));
    std::fprintf(out, "  host confinement    %s\n", confinement.c_str());
    std::fprintf(out, "  system calls\n");
    for (const auto& [name, count] : calls) std::fprintf(out, "    %-18s %llu\n", name.c_str(), ull(count));
}

}  // namespace vx::os::linux_i386
