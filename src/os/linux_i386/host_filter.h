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

}  // namespace vx::os::linux_i386
