// vxrun: run a static i386 Linux program inside a vx sandbox.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <vector>

#include "os/linux_i386/initial_stack.h"
#include "os/linux_i386/process.h"
#include "os/linux_i386/usage_report.h"
#include "vx/sandbox.h"

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitNotRunnable = 126;
constexpr int kExitNotFound = 127;
constexpr int kExitSetupFailed = 125;  // vx itself could not start (e.g. no XSAVE, a bad --mount)

uint64_t parse_size(const std::string& text) {
    size_t end = 0;
    uint64_t value = std::stoull(text, &end);
    std::string suffix = text.substr(end);
    if (suffix == "k" || suffix == "K") value <<= 10;
    else if (suffix == "m" || suffix == "M") value <<= 20;
    else if (suffix == "g" || suffix == "G") value <<= 30;
    else if (!suffix.empty()) throw std::invalid_argument("unknown size suffix: " + suffix);
    return value;
}

// Seconds as nanoseconds ("1.5", "250ms" and "2s" are accepted too).
uint64_t parse_seconds(const std::string& text) {
    size_t end = 0;
    double value = std::stod(text, &end);
    std::string suffix = text.substr(end);
    if (suffix == "ms") value /= 1e3;
    else if (!suffix.empty() && suffix != "s") throw std::invalid_argument("unknown time suffix: " + suffix);
    if (!(value > 0) || value > 1e9) throw std::invalid_argument("out of range");
    return uint64_t(value * 1e9);
}

// Reads the whole program file; on failure returns vxrun's exit status for it.
int read_program(const std::string& path, std::vector<uint8_t>& contents) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        std::fprintf(stderr, "vxrun: %s: %s\n", path.c_str(), std::strerror(e));
        return e == ENOENT ? kExitNotFound : kExitNotRunnable;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        std::fprintf(stderr, "vxrun: %s: not a regular file\n", path.c_str());
        close(fd);
        return kExitNotRunnable;
    }
    contents.resize(size_t(st.st_size));
    size_t done = 0;
    while (done < contents.size()) {
        ssize_t n = read(fd, contents.data() + done, contents.size() - done);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            std::fprintf(stderr, "vxrun: %s: cannot read: %s\n", path.c_str(),
                         n < 0 ? std::strerror(errno) : "file shrank");
            close(fd);
            return kExitNotRunnable;
        }
        done += size_t(n);
    }
    close(fd);
    return 0;
}

// What a program needs to start, and nothing of the host's: environments carry
// tokens and keys, so the guest gets only what it is given.
constexpr const char* kGuestPath = "PATH=/usr/local/bin:/usr/bin:/bin";

enum class EnvironmentBase { Minimal, Empty, Host };

// The base environment (PATH only, nothing, or the host's whole one), then
// each --env setting in order: K=V sets K, a bare K copies the host's value of
// K (and sets nothing when the host has none).
std::vector<std::string> guest_environment(EnvironmentBase base, const std::vector<std::string>& settings) {
    std::vector<std::string> env;
    if (base == EnvironmentBase::Minimal) env.emplace_back(kGuestPath);
    if (base == EnvironmentBase::Host)
        for (char** e = environ; *e; ++e) env.emplace_back(*e);
    for (const std::string& setting : settings) {
        std::string entry = setting;
        if (setting.find('=') == std::string::npos) {
            const char* host_value = getenv(setting.c_str());
            if (!host_value) continue;
            entry = setting + "=" + host_value;
        }
        std::string key = entry.substr(0, entry.find('=') + 1);
        std::erase_if(env, [&](const std::string& e) { return e.starts_with(key); });
        env.push_back(entry);
    }
    return env;
}

// The guest's standard descriptors are copies of vxrun's, given only where
// vxrun was started with them open. A closed one is held here by /dev/null,
// so that nothing vxrun opens later takes its number, and stays closed for the
// guest (EBADF). Anything else vxrun inherited is closed: no descriptor in
// this process but the guest's own may lead anywhere.
std::array<int, 3> take_standard_descriptors() {
    std::array<int, 3> given = {0, 1, 2};
    for (int fd = 0; fd < 3; ++fd) {
        if (fcntl(fd, F_GETFD) < 0) {
            given[size_t(fd)] = -1;
            int placeholder = open("/dev/null", O_RDWR);
            if (placeholder != fd) _exit(kExitSetupFailed);  // the lowest free number is fd: cannot fail so
        }
        fcntl(fd, F_SETFD, FD_CLOEXEC);  // as every descriptor vxrun keeps (it never execs: the filter forbids it)
    }
    close_range(3, ~0u, 0);
    return given;
}

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer stops the process with ptrace to look for leaks at exit, which
// the host filter forbids: the unit tests check the library for leaks instead.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
#endif

int main(int argc, char** argv) {
    const std::array<int, 3> standard_fds = take_standard_descriptors();
    CLI::App app{"Run a static i386 Linux program inside a vx sandbox."};
    // Limits: each stops the guest with one line naming it, and exit 137.
    std::string memory = "512M", cpu_time, wall_time, instructions, code_cache = "64M", output, file_size;
    unsigned open_files = 1024, processes = 64, host_mappings = vx::EngineLimits{}.host_mappings;
    bool no_limits = false;
    app.add_option("--memory", memory,
                   "memory the guest may cost the host: its pages, translations and tables together (e.g. 64M, "
                   "1G; at most 3G); its address space is this, or 512M if that is more")->capture_default_str();
    std::vector<CLI::Option*> limit_options = {
        app.add_option("--cpu-time", cpu_time, "CPU time limit, in seconds (e.g. 10, 1.5, 250ms)"),
        app.add_option("--wall-time", wall_time, "wall-clock time limit, in seconds"),
        app.add_option("--instructions", instructions, "fuel: the number of guest instructions it may run"),
        app.add_option("--output", output, "bytes it may write in all (stdout, stderr, files, pipes)"),
        app.add_option("--file-size", file_size, "the largest file it may write"),
    };
    app.add_option("--code-cache", code_cache, "translated code kept at once (flushed when full)")->capture_default_str();
    app.add_option("--open-files", open_files, "descriptors open at once (EMFILE beyond)")->capture_default_str();
    app.add_option("--host-mappings", host_mappings,
                   "host mappings (VMAs) its memory may make (mmap, mprotect, munmap get ENOMEM beyond)")
        ->capture_default_str();
    app.add_option("--processes", processes, "guest processes alive at once (fork gets EAGAIN beyond)")
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
    // Options come first; PROGRAM and everything after it belong to the guest.
    app.prefix_command();
    app.footer("Usage: vxrun [OPTIONS] PROGRAM [ARGS...]");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : kExitUsage;
    }
    std::vector<std::string> guest_argv = app.remaining();
    if (guest_argv.empty() || guest_argv[0].starts_with("-")) {
        std::fprintf(stderr, "vxrun: %s\nRun with --help for more information.\n",
                     guest_argv.empty() ? "PROGRAM is required" : ("unknown option " + guest_argv[0]).c_str());
        return kExitUsage;
    }
    const std::string program = guest_argv[0];

    vx::SandboxOptions options;
    vx::os::linux_i386::ProcessOptions process;
    const char* parsing = "--memory";
    try {
        // The limit is what the guest may cost; its address space is at least
        // the usual 512 MiB (programs load at 128 MiB), so that a small
        // limit is reached by what it maps rather than by where.
        const uint64_t limit = parse_size(memory);
        if (limit % vx::kPageSize || limit < (1u << 20) || limit > vx::kMaxGuestMemory)
            throw std::invalid_argument("size");
        options.memory_size = no_limits ? limit : std::min(vx::kMaxGuestMemory, std::max(limit, uint64_t(512) << 20));
        if (!no_limits) options.limits.memory = limit;
        parsing = "--code-cache";
        options.limits.code_cache = parse_size(code_cache);
        parsing = "--cpu-time";
        if (!cpu_time.empty()) options.limits.cpu_time_ns = parse_seconds(cpu_time);
        parsing = "--wall-time";
        if (!wall_time.empty()) options.limits.wall_time_ns = parse_seconds(wall_time);
        parsing = "--instructions";
        if (!instructions.empty()) options.limits.instructions = std::stoull(instructions);
        parsing = "--output";
        if (!output.empty()) process.max_output = parse_size(output);
        parsing = "--file-size";
        if (!file_size.empty()) process.max_file_size = parse_size(file_size);
    } catch (const std::exception&) {
        std::fprintf(stderr, "vxrun: bad %s value\n", parsing);
        return kExitUsage;
    }
    options.limits.host_mappings = host_mappings;
    if (open_files < 3 || open_files > 1024 || processes < 1 || processes > 4096 || host_mappings < 64 ||
        host_mappings > 32768) {
        std::fprintf(stderr, "vxrun: --open-files must be 3..1024, --processes 1..4096 and --host-mappings 64..32768\n");
        return kExitUsage;
    }
    if (stats != "" && stats != "text" && stats != "json") {
        std::fprintf(stderr, "vxrun: --stats takes no value or =json, got: %s\n", stats.c_str());
        return kExitUsage;
    }
    process.max_open_files = open_files;
    process.max_processes = processes;
    std::vector<vx::os::linux_i386::Mount> mounts;
    try {
        for (const std::string& spec : mount_specs) mounts.push_back(vx::os::linux_i386::parse_mount(spec));
    } catch (const vx::Error& e) {
        std::fprintf(stderr, "vxrun: %s\n", e.what());
        return kExitUsage;
    }
    for (const std::string& setting : env_settings) {
        if (setting.empty() || setting.front() == '=') {
            std::fprintf(stderr, "vxrun: --env wants K=V or K, got: %s\n", setting.c_str());
            return kExitUsage;
        }
    }

    const EnvironmentBase env_base =
        clear_env ? EnvironmentBase::Empty : inherit_env ? EnvironmentBase::Host : EnvironmentBase::Minimal;

    std::vector<uint8_t> file;
    if (int status = read_program(program, file)) return status;

    FILE* trace_out = nullptr;
    if (trace == "-") {
        trace_out = stderr;
    } else if (!trace.empty()) {
        trace_out = std::fopen(trace.c_str(), "we");
        if (!trace_out) {
            std::fprintf(stderr, "vxrun: --trace=%s: %s\n", trace.c_str(), std::strerror(errno));
            return kExitSetupFailed;
        }
        setvbuf(trace_out, nullptr, _IOLBF, 0);  // a line a write: processes share the file
    }

    try {
        vx::Sandbox sandbox(options);
        vx::ElfImage image = vx::os::linux_i386::load_program(
            sandbox, file, guest_argv, guest_environment(env_base, env_settings), process.stack_size);
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
        vx::os::linux_i386::LinuxProcess guest(sandbox, image, process);
        int status = guest.run(stderr);
        if (!stats.empty()) vx::os::linux_i386::report_usage(stderr, sandbox, guest, stats == "json");
        return status;
    } catch (const vx::ElfError& e) {
        std::fprintf(stderr, "vxrun: %s: %s\n", program.c_str(), e.what());
        return kExitNotRunnable;
    } catch (const vx::Error& e) {
        std::fprintf(stderr, "vxrun: %s\n", e.what());
        return kExitSetupFailed;
    }
}
