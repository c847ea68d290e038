// vxverify: check files against digests with hash plug-ins that are not
// trusted: each runs in a vx sandbox of its own (tools/vxverify/).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "vx/error.h"
#include "vx/snapshot.h"
#include "vxrun/limit_options.h"
#include "os/linux_i386/host_filter.h"
#include "vxverify/verifier.h"

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer stops the process with ptrace to look for leaks at exit, which
// the host filter forbids: the unit tests check the library for leaks instead.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
#endif

int main(int argc, char** argv) {
    CLI::App app{"Check files against digests computed by sandboxed hash plug-ins."};
    app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
        return "vxverify: " + CLI::FailureMessage::simple(failed, e);
    });
    std::vector<std::string> plugin_specs, lists, operands;
    std::string algorithm;
    bool print = false, quiet = false, no_host_filter = false;
    vxverify::PluginLimits limits;
    uint64_t chunk = limits.chunk, instructions_per_byte = 0;
    app.add_option("--plugin", plugin_specs, "a hash plug-in, NAME=PATH (repeatable); NAME is its algorithm")
        ->required()
        ->allow_extra_args(false);
    app.add_option("--algorithm", algorithm,
                   "the plug-in for digests that do not name theirs (default: the only plug-in)");
    app.add_option("-c,--check", lists, "check the files a list names (sha256sum's format, or --tag's; - is stdin)")
        ->allow_extra_args(false);
    app.add_flag("--print", print, "print the digests of FILEs (as sha256sum does) instead of checking");
    app.add_flag("--quiet", quiet, "do not print OK for each file that matched");
    app.add_option("--memory", limits.memory, "memory each plug-in may cost the host")
        ->transform(vxrun::size_value())
        ->check(CLI::Range(uint64_t(1) << 20, uint64_t(1) << 30))
        ->option_text("SIZE (1M to 1G)=64M");
    app.add_option("--chunk", chunk, "bytes given to the plug-in per call")
        ->transform(vxrun::size_value())
        ->check(CLI::Range(uint64_t(1), uint64_t(64) << 20))
        ->option_text("SIZE (at most 64M)=1M");
    app.add_option("--cpu-per-call", limits.cpu_per_call_ns, "CPU time any call may take")
        ->transform(vxrun::seconds_value())
        ->option_text("SECONDS=1");
    app.add_option("--cpu-per-mib", limits.cpu_per_mib_ns, "CPU time a call may take besides, per MiB of data it is given")
        ->transform(vxrun::seconds_value())
        ->option_text("SECONDS=1");
    CLI::Option* fuel = app.add_option("--instructions-per-byte", instructions_per_byte,
                                       "fuel: guest instructions a call may run per byte given (beside 1e8)")
                            ->transform(vxrun::count_value())
                            ->type_name("N");
    app.add_flag("--no-host-filter", no_host_filter,
                 "do not confine vxverify once its plug-ins are loaded (no seccomp filter: for debugging vxverify "
                 "itself; it weakens the defense in depth)");
    app.set_version_flag("--version", "vxverify " VX_VERSION);
    app.add_option("operands", operands, "FILE HEX pairs to check, or with --print, FILEs");
    app.footer(
        "Usage: vxverify --plugin NAME=PATH... [-c LIST]... [FILE HEX]...\n"
        "       vxverify --plugin NAME=PATH... --print FILE...\n"
        "Exit status: 0 every file matched, 1 a file did not match or could not be read (or a list line was\n"
        "malformed), 2 bad options, 3 a plug-in could not be loaded or was stopped.");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : vxverify::kExitUsage;
    }
    auto usage = [](const std::string& message) {
        std::fprintf(stderr, "vxverify: %s\nRun with --help for more information.\n", message.c_str());
        return vxverify::kExitUsage;
    };
    limits.chunk = uint32_t(chunk);
    if (*fuel) limits.instructions_per_byte = instructions_per_byte;
    if (!print && operands.size() % 2) return usage("FILE HEX come in pairs");
    if (print && !lists.empty()) return usage("--print takes FILEs, not --check");
    if (lists.empty() && operands.empty()) return usage("nothing to check: -c LIST or FILE HEX");

    vxverify::Verifier verifier(stdout, stderr);
    verifier.set_quiet(quiet);
    for (const std::string& spec : plugin_specs) {
        const size_t equals = spec.find('=');
        if (equals == 0 || equals == std::string::npos || equals + 1 == spec.size())
            return usage("--plugin wants NAME=PATH, got: " + spec);
        const std::string name = spec.substr(0, equals);
        if (verifier.has_plugin(name)) return usage("two plug-ins named " + name);
        verifier.add_plugin(name, spec.substr(equals + 1), limits);
    }
    if (algorithm.empty() && plugin_specs.size() == 1) algorithm = plugin_specs[0].substr(0, plugin_specs[0].find('='));
    if (!algorithm.empty() && !verifier.has_plugin(algorithm)) return usage("no plug-in named " + algorithm);
    if (algorithm.empty() && (print || !operands.empty()))
        return usage("which plug-in? --algorithm NAME (there are several)");

    if (!no_host_filter) {
        try {
            vx::prepare_restores();
            vx::os::linux_i386::install_reader_filter(verifier.host_calls());
        } catch (const vx::Error& e) {
            std::fprintf(stderr, "vxverify: %s\n", e.what());
            return vxverify::kExitPluginFailed;
        }
    }
    for (const std::string& list : lists) verifier.check_list(list, algorithm);
    if (print)
        for (const std::string& file : operands) verifier.print(file, algorithm);
    else
        for (size_t i = 0; i < operands.size(); i += 2) verifier.check(operands[i], algorithm, operands[i + 1]);
    std::fflush(stdout);
    verifier.summarize();
    return verifier.exit_status();
}
