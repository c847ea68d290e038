// vxrun: run a static i386 Linux program inside a vx sandbox.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "os/linux_i386/process.h"
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

// The host's environment (unless cleared), with K=V settings replacing or
// adding entries.
std::vector<std::string> guest_environment(bool clear, const std::vector<std::string>& settings) {
    std::vector<std::string> env;
    if (!clear)
        for (char** e = environ; *e; ++e) env.emplace_back(*e);
    for (const std::string& setting : settings) {
        std::string key = setting.substr(0, setting.find('=') + 1);
        std::erase_if(env, [&](const std::string& e) { return e.starts_with(key); });
        env.push_back(setting);
    }
    return env;
}

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer stops the process with ptrace to look for leaks at exit, which
// the host filter forbids: the unit tests check the library for leaks instead.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
#endif

int main(int argc, char** argv) {
    CLI::App app{"Run a static i386 Linux program inside a vx sandbox."};
    std::string memory = "512M";
    app.add_option("--memory", memory, "guest memory size (e.g. 256M, 1G)")->capture_default_str();
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
                 "do not put the seccomp filter on vxrun (for debugging vxrun itself: it weakens the defense in depth)");
    bool clear_env = false;
    std::vector<std::string> env_settings;
    app.add_flag("--clear-env", clear_env, "start the guest with an empty environment");
    app.add_option("--env", env_settings, "set K=V in the guest's environment (repeatable)")
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
    try {
        options.memory_size = parse_size(memory);
    } catch (const std::exception&) {
        std::fprintf(stderr, "vxrun: bad --memory size: %s\n", memory.c_str());
        return kExitUsage;
    }
    std::vector<vx::os::linux_i386::Mount> mounts;
    try {
        for (const std::string& spec : mount_specs) mounts.push_back(vx::os::linux_i386::parse_mount(spec));
    } catch (const vx::Error& e) {
        std::fprintf(stderr, "vxrun: %s\n", e.what());
        return kExitUsage;
    }
    for (const std::string& setting : env_settings) {
        if (setting.find('=') == std::string::npos || setting.front() == '=') {
            std::fprintf(stderr, "vxrun: --env wants K=V, got: %s\n", setting.c_str());
            return kExitUsage;
        }
    }

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
        vx::ElfImage image = sandbox.load_program(file, guest_argv, guest_environment(clear_env, env_settings));
        vx::os::linux_i386::ProcessOptions process;
        // The guest sees no host paths: its program is /<name> (absolute, as
        // glibc expects of /proc/self/exe).
        process.exe_path = "/" + program.substr(program.find_last_of('/') + 1);
        process.stack_size = options.stack_size;
        process.cwd = cwd;
        process.mounts = mounts;
        process.trace = trace_out;
        process.program = std::move(file);
        process.own_host_process = true;  // vxrun does nothing but run its guest
        process.private_tmp = private_tmp;
        process.host_filter = !no_host_filter;
        return vx::os::linux_i386::LinuxProcess(sandbox, image, process).run(stderr);
    } catch (const vx::ElfError& e) {
        std::fprintf(stderr, "vxrun: %s: %s\n", program.c_str(), e.what());
        return kExitNotRunnable;
    } catch (const vx::Error& e) {
        std::fprintf(stderr, "vxrun: %s\n", e.what());
        return kExitSetupFailed;
    }
}
