// The host's signal handlers serve one guest process per host process
// (ProcessOptions::own_host_process): a second LinuxProcess that asks for
// them is refused when it is made, clearly, rather than sharing (and
// stealing) what the host catches for the first.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "os/linux_i386/process.h"
#include "vx/error.h"
#include "vx/sandbox.h"

namespace {

using vx::os::linux_i386::LinuxProcess;
using vx::os::linux_i386::ProcessOptions;

// A process over an empty sandbox: made, never run (no program is needed
// to be refused or accepted).
struct Guest {
    vx::Sandbox sandbox{vx::SandboxOptions{}};
    std::unique_ptr<LinuxProcess> process;

    explicit Guest(bool own_host_process) {
        ProcessOptions options;
        options.own_host_process = own_host_process;
        process = std::make_unique<LinuxProcess>(sandbox, vx::ElfImage{}, options);
    }
};

TEST(HostSignalClaim, OneGuestProcessPerHostProcessOwnsItsSignals) {
    {
        auto owner = std::make_unique<Guest>(true);
        try {
            Guest second(true);
            ADD_FAILURE() << "a second owner of the host process was made";
        } catch (const vx::Error& e) {
            EXPECT_NE(std::string(e.what()).find("own_host_process"), std::string::npos) << e.what();
        }
        // A process that leaves the host process alone may sit beside it.
        EXPECT_NO_THROW(Guest beside(false));
        // The refused one took nothing: once the owner is gone, another may own it.
        owner.reset();
        EXPECT_NO_THROW(Guest next(true));
    }
    EXPECT_NO_THROW(Guest after(true));
}

}  // namespace
