// vxrun: run a static i386 Linux program inside a vx sandbox.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "os/linux_i386/initial_stack.h"
#include "os/linux_i386/process.h"
#include "vx/sandbox.h"
#include "vxrun/guest_setup.h"
#include "vxrun/limit_options.h"
#include "vxrun/mount_option.h"
#include "vxrun/run_report.h"
#include "vxrun/usage_report.h"

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer stops the process with ptrace to look for leaks at exit, which
// the host filter forbids: the unit tests check the library for leaks instead.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
#endif

int main(int argc, char** argv) {
    const std::array<int, 3> standard_fds = vxrun::take_standard_descriptors();
    CLI::App app{"Run a static i386 Linux program inside a vx sandbox."};
    app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
        return "vxrun: " + CLI::FailureMessage::simple(failed, e);
    });
    // Limits: each stops the guest with one line naming it, and exit 137.
    uint64_t memory = uint64_t(512) << 20, code_cache = uint64_t(64) << 20;
    uint64_t cpu_time_ns = 0, wall_time_ns = 0, instructions = 0, output = 0, file_size = 0;
    unsigned open_files = 1024, processes = 64, host_mappings = vx::EngineLimits{}.host_mappings;
    bool no_limits = false;
    app.add_option("--memory", memory,
                   "memory the guest may cost the host: its pages, translations and tables together (e.g. 64M, "
                   "1G; at most 3G); its address space is this, or 512M if that is more")
        ->transform(vxrun::size_value())
        ->check(CLI::Range(uint64_t(1) << 20, uint64_t(vx::kMaxGuestMemory)) & vxrun::multiple_of(vx::kPageSize))
        ->option_text("SIZE (1M to 3G, whole pages)=512M");
    CLI::Option* cpu_time_option = app.add_option("--cpu-time", cpu_time_ns,
                                                  "CPU time limit, in seconds (e.g. 10, 1.5, 250ms)")
                                       ->transform(vxrun::seconds_value())
                                       ->type_name("SECONDS");
    CLI::Option* wall_time_option = app.add_option("--wall-time", wall_time_ns, "wall-clock time limit, in seconds")
                                        ->transform(vxrun::seconds_value())
                                        ->type_name("SECONDS");
    CLI::Option* instructions_option =
        app.add_option("--instructions", instructions, "fuel: the number of guest instructions it may run")
            ->transform(vxrun::count_value())
            ->type_name("N");
    CLI::Option* output_option =
        app.add_option("--output", output, "bytes it may write in all (stdout, stderr, files, pipes)")
            ->transform(vxrun::size_value())
            ->type_name("SIZE");
    CLI::Option* file_size_option = app.add_option("--file-size", file_size, "the largest file it may write")
                                         ->transform(vxrun::size_value())
                                         ->type_name("SIZE");
    const std::vector<CLI::Option*> limit_options = {cpu_time_option, wall_time_option, instructions_option,
                                                     output_option, file_size_option};
    app.add_option("--code-cache", code_cache, "translated code kept at once (flushed when full)")
        ->transform(vxrun::size_value())
        ->type_name("SIZE")
        ->default_str("64M");
    app.add_option("--open-files", open_files, "descriptors open at once (EMFILE beyond)")
        ->check(CLI::Range(3u, 1024u))
        ->type_name("N")
        ->capture_default_str();
    app.add_option("--host-mappings", host_mappings,
                   "host mappings (VMAs) its memory may make (mmap, mprotect, munmap get ENOMEM beyond)")
        ->check(CLI::Range(64u, 32768u))
        ->type_name("N")
        ->capture_default_str();
    app.add_option("--processes", processes, "guest processes alive at once (fork gets EAGAIN beyond)")
        ->check(CLI::Range(1u, 4096u))
        ->type_name("N")
        ->capture_default_str();
    CLI::Option* no_limits_option = app.add_flag(
        "--no-limits", no_limits,
        "DANGEROUS, for trusted programs only: no memory accounting (--memory is then only the address space), "
        "no time, fuel, output or file-size limits; the code cache, files and processes stay bounded");
    for (CLI::Option* option : limit_options) no_limits_option->excludes(option);
    std::string stats;
    app.add_flag("--stats{text}", stats, "at the end, report what the guest used to stderr; --stats=json for JSON");
    std::string trace;
    app.add_flag("--trace{-}", trace, "log every guest system call, with decoded arguments, to stderr or to --trace=FILE");
    std::vector<std::string> mount_specs;
    std::string cwd = "/";
    app.add_option("--mount", mount_specs, "grant HOST:GUEST[:ro|rw] to the guest (read-only unless :rw; repeatable)")
        ->allow_extra_args(false);
    app.add_option("--cwd", cwd, "the guest's working directory")->capture_default_str();
    bool private_tmp = false;
    app.add_flag("--tmp", private_tmp, "give the guest a private, empty, writable /tmp (removed at the end)");
    bool no_host_filter = false;
    app.add_flag("--no-host-filter", no_host_filter,
                 "do not confine vxrun (no seccomp filter, no Landlock domain: for debugging vxrun itself; it weakens the defense in depth)");
    bool clear_env = false, inherit_env = false;
    std::vector<std::string> env_settings;
    CLI::Option* clear_env_option =
        app.add_flag("--clear-env", clear_env, "start the guest with no environment at all, not even PATH");
    app.add_flag("--inherit-env", inherit_env,
                 "give the guest the host's whole environment (its tokens and keys too); by default it gets only "
                 "PATH and what --env gives")
        ->excludes(clear_env_option);
    app.add_option("--env", env_settings,
                   "set K=V in the guest's environment, or copy the host's value of K (repeatable)")
        ->allow_extra_args(false);
    app.set_version_flag("--version", "vxrun " VX_VERSION);
    // Options come first; PROGRAM and everything after it belong to the guest.
    app.prefix_command();
    app.footer("Usage: vxrun [OPTIONS] PROGRAM [ARGS...]");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : vxrun::kExitUsage;
    }
    std::vector<std::string> guest_argv = app.remaining();
    if (guest_argv.empty() || guest_argv[0].starts_with("-")) {
        std::fprintf(stderr, "vxrun: %s\nRun with --help for more information.\n",
                     guest_argv.empty() ? "PROGRAM is required" : ("unknown option " + guest_argv[0]).c_str());
        return vxrun::kExitUsage;
    }
    const std::string program = guest_argv[0];

    vx::SandboxOptions options;
    vx::os::linux_i386::ProcessOptions process;
    // The limit is what the guest may cost; its address space is at least
    // the usual 512 MiB (programs load at 128 MiB), so that a small limit is
    // reached by what it maps rather than by where.
    options.memory_size = no_limits ? memory : std::min(vx::kMaxGuestMemory, std::max(memory, uint64_t(512) << 20));
    if (!no_limits) options.limits.memory = memory;
    options.dbt.code_cache = code_cache;
    if (*cpu_time_option) options.limits.cpu_time_ns = cpu_time_ns;
    if (*wall_time_option) options.limits.wall_time_ns = wall_time_ns;
    if (*instructions_option) options.limits.instructions = instructions;
    if (*output_option) process.max_output = output;
    if (*file_size_option) process.max_file_size = file_size;
    options.limits.host_mappings = host_mappings;
    if (stats != "" && stats != "text" && stats != "json") {
        std::fprintf(stderr, "vxrun: --stats takes no value or =json, got: %s\n", stats.c_str());
        return vxrun::kExitUsage;
    }
    process.max_open_files = open_files;
    process.max_processes = processes;
    std::vector<vx::os::linux_i386::Mount> mounts;
    try {
        for (const std::string& spec : mount_specs) mounts.push_back(vxrun::parse_mount(spec));
    } catch (const vx::Error& e) {
        std::fprintf(stderr, "vxrun: %s\n", e.what());
        return vxrun::kExitUsage;
    }
    for (const std::string& setting : env_settings) {
        if (setting.empty() || setting.front() == '=') {
            std::fprintf(stderr, "vxrun: --env wants K=V or K, got: %s\n", setting.c_str());
            return vxrun::kExitUsage;
        }
    }

    using vxrun::EnvironmentBase;
    const EnvironmentBase env_base = clear_env     ? EnvironmentBase::Empty
                                     : inherit_env ? EnvironmentBase::Host
                                                   : EnvironmentBase::Minimal;

    std::vector<uint8_t> file;
    if (int status = vxrun::read_program(program, file)) return status;

    FILE* trace_out = nullptr;
    if (trace == "-") {
        trace_out = stderr;
    } else if (!trace.empty()) {
        trace_out = std::fopen(trace.c_str(), "we");
        if (!trace_out) {
            std::fprintf(stderr, "vxrun: --trace=%s: %s\n", trace.c_str(), std::strerror(errno));
            return vxrun::kExitSetupFailed;
        }
        setvbuf(trace_out, nullptr, _IOLBF, 0);  // a line a write: processes share the file
    }

    try {
        vx::Sandbox sandbox(options);
        vx::ElfImage image = vx::os::linux_i386::load_program(
            sandbox, file, guest_argv, vxrun::guest_environment(env_base, env_settings), process.stack_size);
        // The guest sees no host paths: its program is /<name> (absolute, as
        // glibc expects of /proc/self/exe).
        process.exe_path = "/" + program.substr(program.find_last_of('/') + 1);
        process.cwd = cwd;
        process.mounts = mounts;
        process.trace = trace_out;
        process.program = std::move(file);
        process.standard_fds = standard_fds;
        process.own_host_process = true;  // vxrun does nothing but run its guest
        process.private_tmp = private_tmp;
        process.host_filter = !no_host_filter;
        vxrun::RunReport report(stderr);
        process.reporter = &report;
        vx::os::linux_i386::LinuxProcess guest(sandbox, image, process);
        const vx::os::linux_i386::RunOutcome outcome = guest.run();
        if (!stats.empty()) vxrun::report_usage(stderr, outcome, {program, options.engine}, stats == "json");
        return outcome.exit_status;
    } catch (const vx::os::linux_i386::SetupRefused& refused) {
        std::fprintf(stderr, "vxrun: %s\n", vxrun::describe_refusal(refused).c_str());
        return vxrun::kExitSetupFailed;
    } catch (const vx::ElfError& e) {
        std::fprintf(stderr, "vxrun: %s: %s\n", program.c_str(), e.what());
        return vxrun::kExitNotRunnable;
    } catch (const vx::Error& e) {
        std::fprintf(stderr, "vxrun: %s\n", e.what());
        return vxrun::kExitSetupFailed;
    }
}
