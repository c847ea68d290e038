#pragma once
// What vxrun says of a run on stderr, in its own words: how a guest process
// ended (a fault, a signal, a limit), a host confinement weaker than it
// should be, and a private /tmp left behind.
#include <cstdio>
#include <optional>
#include <string>

#include "os/linux_i386/run_outcome.h"

namespace vxrun {

// The line vxrun prints for a guest process's end, without its newline; none
// for an exit, nor for what only the first process says (a limit, a
// signal) when it comes from another.
std::optional<std::string> describe_end(const vx::os::linux_i386::RunOutcome& outcome);

class RunReport : public vx::os::linux_i386::RunReporter {
public:
    explicit RunReport(FILE* out) : out_(out) {}
    void confinement_weakened(const std::string& what) override;
    void process_ended(const vx::os::linux_i386::RunOutcome& outcome) override;
    void private_tmp_left(const std::string& path, bool watchdog_retries) override;

private:
    FILE* out_;
};

}  // namespace vxrun
