#pragma once
// How a guest process's run ended, and what it used, as data; and the sink
// for what a run has to say while it runs. The personality says nothing in
// words of its own to anyone: the tool that runs it (vxrun, a test, a host
// program) turns these into its own messages.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vx/event.h"
#include "vx/limits.h"

namespace vx::os::linux_i386 {

enum class Ending {
    Exited,          // the guest exited: exit_status is its own
    KilledBySignal,  // the default action of a signal ended it (signal)
    Fault,           // a fault it did not handle ended it (fault; signal is the one Linux sends for it)
    LimitReached,    // a limit of its process tree was reached, here or in another process (limit)
};

struct FaultReport {
    Fault fault;              // which, at which eip, and the data address where known
    std::string instruction;  // the faulting instruction, disassembled
};

struct LimitReport {
    LimitExceeded limit;  // which limit, what was used, its maximum
    int32_t pid = 1;      // the guest process that reached it
};

struct RunOutcome {
    int32_t pid = 1;  // the guest process that ended (1: the first, whose end ends the run)
    Ending ending = Ending::Exited;
    // The status the host process ends with: the guest's own on exit, 128+N
    // when signal N ended it (SIGKILL when a limit was reached).
    int exit_status = 0;
    int signal = 0;  // the signal that ended it (KilledBySignal, Fault, LimitReached); 0 on exit
    std::optional<FaultReport> fault;  // Ending::Fault
    std::optional<LimitReport> limit;  // Ending::LimitReached: the tree's breach (which may be another process's)

    // What the guest used, as its sandbox counts it when the process ends.
    Usage usage;
    std::vector<std::pair<std::string, uint64_t>> syscalls;  // calls made, by name, in number order
    std::string host_confinement;  // what LinuxProcess::confine_host applied ("" when it was not called)
};

inline RunOutcome ended(Ending ending, int exit_status, int signal = 0) {
    RunOutcome outcome;
    outcome.ending = ending;
    outcome.exit_status = exit_status;
    outcome.signal = signal;
    return outcome;
}

// What a run says as it happens, to whoever runs it. Each is called in the
// host process the guest process runs in, before that process ends: a
// forked guest process never returns from LinuxProcess::run.
class RunReporter {
public:
    virtual ~RunReporter() = default;
    // The host confinement holds less than it should: what the kernel could
    // not hold, in a phrase (the guest runs regardless).
    virtual void confinement_weakened(const std::string& /*what*/) {}
    // A guest process of the tree ended (the first one too, before run()
    // returns its outcome).
    virtual void process_ended(const RunOutcome& /*outcome*/) {}
    // The private /tmp (host directory `path`) could not be removed in full
    // at the end; its watchdog tries again when `watchdog_retries`.
    virtual void private_tmp_left(const std::string& /*path*/, bool /*watchdog_retries*/) {}
};

}  // namespace vx::os::linux_i386
