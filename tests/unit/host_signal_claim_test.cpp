// The host's signal handlers serve one guest process per host process
// (ProcessOptions::own_host_process): a second LinuxProcess that asks for
// them is refused when it is made, clearly, rather than sharing (and
// stealing) what the host catches for the first.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "os/linux_i386/process.h"
#include "vx/error.h"
#include "vx/sandbox.h"

namespace {

using vx::os::linux_i386::LinuxProcess;
using vx::os::linux_i386::ProcessOptions;

std::vector<uint8_t> read_guest(const std::string& name) {
    std::ifstream in(std::string(VX_GUEST_DIR) + "/" + name, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// A sandbox with a program loaded, and the process that would run it.
struct Guest {
    vx::Sandbox sandbox{vx::SandboxOptions{}};
    std::unique_ptr<LinuxProcess> process;

    Guest(const std::vector<uint8_t>& program, bool own_host_process) {
        vx::ElfImage image = sandbox.load_program(program, {"guest"}, {});
        ProcessOptions options;
        options.exe_path = "/guest";
        options.program = program;
        options.own_host_process = own_host_process;
        process = std::make_unique<LinuxProcess>(sandbox, image, options);
    }
};

TEST(HostSignalClaim, OneGuestProcessPerHostProcessOwnsItsSignals) {
    const std::vector<uint8_t> program = read_guest("conformance_signals");
    if (program.empty()) GTEST_SKIP() << "the guest conformance_signals is not built";
    {
        auto owner = std::make_unique<Guest>(program, true);
        try {
            Guest second(program, true);
            ADD_FAILURE() << "a second owner of the host process was made";
        } catch (const vx::Error& e) {
            EXPECT_NE(std::string(e.what()).find("own_host_process"), std::string::npos) << e.what();
        }
        // A process that leaves the host process alone may sit beside it.
        EXPECT_NO_THROW(Guest beside(program, false));
        // The refused one took nothing: once the owner is gone, another may own it.
        owner.reset();
        EXPECT_NO_THROW(Guest next(program, true));
    }
    EXPECT_NO_THROW(Guest after(program, true));
}

}  // namespace
