// vxrun: run a static i386 Linux program inside a vx sandbox.
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "os/linux_minimal.h"
#include "vx/sandbox.h"

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitNotRunnable = 126;
constexpr int kExitNotFound = 127;
constexpr int kExitSetupFailed = 125;  // vx itself could not start (e.g. no LDT)

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

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Run a static i386 Linux program inside a vx sandbox."};
    std::string program;
    std::string memory = "512M";
    app.add_option("--memory", memory, "guest memory size (e.g. 256M, 1G)")->capture_default_str();
    app.add_option("program", program, "the static i386 ELF executable")->required();
    app.prefix_command();  // everything after PROGRAM belongs to the guest
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : kExitUsage;
    }

    vx::SandboxOptions options;
    try {
        options.memory_size = parse_size(memory);
    } catch (const std::exception&) {
        std::fprintf(stderr, "vxrun: bad --memory size: %s\n", memory.c_str());
        return kExitUsage;
    }

    std::ifstream in(program, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "vxrun: %s: %s\n", program.c_str(), std::strerror(errno));
        return errno == ENOENT ? kExitNotFound : kExitNotRunnable;
    }
    std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    std::vector<std::string> guest_argv{program};
    for (const std::string& arg : app.remaining()) guest_argv.push_back(arg);

    try {
        vx::Sandbox sandbox(options);
        sandbox.load_program(file, guest_argv, {});
        return vx::os::LinuxMinimal(sandbox).run(stderr);
    } catch (const vx::ElfError& e) {
        std::fprintf(stderr, "vxrun: %s: %s\n", program.c_str(), e.what());
        return kExitNotRunnable;
    } catch (const vx::Error& e) {
        std::fprintf(stderr, "vxrun: %s\n", e.what());
        return kExitSetupFailed;
    }
}
