#pragma once
// The Landlock domain: the second layer of host confinement (with the host
// filter, host_filter.h). Once a vxrun process is in it, even code that got
// out of the translator can open files only beneath the grants (with their
// modes), signal only the processes of its own sandbox, read or write no other
// process's memory (Landlock's ptrace rule, which /proc/PID/mem obeys), and
// neither bind nor connect TCP sockets nor reach abstract UNIX sockets outside.
#include <climits>
#include <string>
#include <vector>

namespace vx::os::linux_i386 {

enum class HostAccess {
    ReadOnly,        // read files, list directories
    ReadWrite,       // and write, truncate, create, remove, rename, link
    ReadFilesOnly,   // read files (not list directories): /proc, for the process table
    RemoveDirsOnly,  // remove empty directories: where the private /tmp is removed from
};

struct HostRule {
    std::string path;  // a host directory (the rule holds beneath it) or file
    HostAccess access;
    int fd = -1;       // instead of `path`: the directory this names (a deleted one has no path)
};

// The Landlock ABI version the domain asks for in full (6: signal and
// abstract-socket scopes). Version 7 adds only audit logging.
constexpr int kLandlockAbiWanted = 6;

struct LandlockOutcome {
    int abi = 0;                       // the Landlock ABI version used (the kernel's); 0: none
    bool entered = false;              // the process is in a domain now
    std::vector<std::string> missing;  // what this kernel's ABI could not hold, one phrase each
};

// Enters a Landlock domain for good (the calling thread and what it forks
// from then on: vxrun has no other thread, and the filter forbids making one):
// file access as `rules` say, nothing else; TCP bind and connect denied;
// signals and abstract UNIX sockets scoped to the domain. Applies what the
// kernel's ABI offers and lists the rest in `missing`. Sets no_new_privs.
// Throws vx::Error when a rule's path cannot be opened or the kernel refuses
// a domain it claims to support. `abi_limit` uses no more than that version,
// as on an older kernel (for tests of the degraded domain).
LandlockOutcome enter_landlock_domain(const std::vector<HostRule>& rules, int abi_limit = INT_MAX);

// "Landlock ABI 7" or "no Landlock", with what is missing: for a report of the run.
std::string describe(const LandlockOutcome& outcome);

}  // namespace vx::os::linux_i386
