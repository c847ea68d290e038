#include "run_report.h"

#include <cstring>

namespace vxrun {
namespace {

// " PID" for guest processes other than the first.
std::string who(int32_t pid) {
    // (Appended rather than " " + to_string(...), which GCC 12 at -O3 takes
    // for an overlapping memcpy: -Wrestrict.)
    std::string text;
    if (pid != 1) text.append(" ").append(std::to_string(pid));
    return text;
}

std::string signal_name(int signo) {
    const char* abbreviation = sigabbrev_np(signo);
    return abbreviation ? std::string("SIG") + abbreviation : "signal " + std::to_string(signo);
}

}  // namespace

std::optional<std::string> describe_end(const vx::os::linux_i386::RunOutcome& outcome) {
    using vx::os::linux_i386::Ending;
    switch (outcome.ending) {
    case Ending::Exited:
        return std::nullopt;
    case Ending::Fault: {
        if (!outcome.fault) return std::nullopt;
        const vx::Event event{vx::EventKind::Fault, outcome.fault->fault};
        return "vxrun: guest" + who(outcome.pid) + " killed by " + signal_name(outcome.signal) + ": " +
               vx::describe(event) + ": " + outcome.fault->instruction;
    }
    case Ending::KilledBySignal:
        // A signal a process sent itself is the guest's own business, and its
        // parent's wait reports it; only the first process, whose end is
        // vxrun's, is said.
        if (outcome.pid != 1) return std::nullopt;
        return "vxrun: guest" + who(outcome.pid) + " killed by " + signal_name(outcome.signal) + " (sent by itself)";
    case Ending::LimitReached: {
        // The first process ends the tree and says which limit, in one line;
        // the others end silently.
        if (outcome.pid != 1 || !outcome.limit) return std::nullopt;
        vx::Event event{vx::EventKind::LimitExceeded};
        event.limit_exceeded = outcome.limit->limit;
        return "vxrun: guest" + who(outcome.limit->pid) + " stopped: " + vx::describe(event);
    }
    }
    return std::nullopt;
}

void RunReport::confinement_weakened(const std::string& what) {
    std::fprintf(out_, "vxrun: host confinement weaker than it should be: %s\n", what.c_str());
}

void RunReport::process_ended(const vx::os::linux_i386::RunOutcome& outcome) {
    if (std::optional<std::string> line = describe_end(outcome)) std::fprintf(out_, "%s\n", line->c_str());
}

void RunReport::private_tmp_left(const std::string& path, bool watchdog_retries) {
    std::fprintf(out_, "vxrun: could not remove all of the guest's /tmp, %s%s\n", path.c_str(),
                 watchdog_retries ? " (its watchdog tries again)" : "");
}

}  // namespace vxrun
