#pragma once
// The host filter: a seccomp filter a vxrun process puts on itself once its
// guest is loaded, so that even code that got out of the translator could ask
// the kernel only for what the personality needs. Defense in depth: the
// translator is the boundary, this and the Landlock domain (landlock.h) are
// what stand behind it.
#include <cstdint>
#include <vector>

namespace vx::os::linux_i386 {

// Host memory the engine executes, mapped before the filter: a forked child
// may map it again (same address, size, PROT_READ | PROT_EXEC, MAP_SHARED |
// MAP_FIXED) to give itself its own copy.
struct ExecutableRegion {
    uint64_t begin = 0;
    uint64_t size = 0;
};

// Installs the filter on the calling process, for good (it is inherited by
// the host processes forked for guest forks). The personality's own host
// calls and `engine_calls` (Sandbox::host_calls) are allowed; every i386 or
// x32 ABI call, every other call, and every request for executable memory
// but the remaps of `executable` kills the process with SIGSYS. Throws
// vx::Error when the kernel refuses it.
void install_host_filter(const std::vector<long>& engine_calls, const std::vector<ExecutableRegion>& executable = {});

// A far narrower filter, for a host process that runs sandboxes without a
// personality and only reads files and reports (vxverify): once it is on,
// code that got out of the translator could read files, write to the
// standard output and error, and little else: no file opened for writing,
// created, renamed or removed, no process signalled but this one, no
// program run, no socket, no executable memory, no fork. `engine_calls` as
// above. Call vx::prepare_restores() first if the host restores snapshots.
// Throws vx::Error when the kernel refuses it.
void install_reader_filter(const std::vector<long>& engine_calls);

// The reader filter's calls, and those that make files (vxa extract): open
// with any flags, write to any descriptor, make directories, rename, remove,
// set a file's mode and times through its descriptor. Which files those
// calls may reach is for a Landlock domain to say (landlock.h): put the
// process in one first. Still no link, symlink or device made, no mode
// changed by path, no program run, no socket, no signal to another process,
// no executable memory, no fork.
void install_extractor_filter(const std::vector<long>& engine_calls);

}  // namespace vx::os::linux_i386
