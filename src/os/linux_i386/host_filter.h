#pragma once
// The host filter: a seccomp filter a vxrun process puts on itself once its
// guest is loaded, so that even code that got out of the translator could ask
// the kernel only for what the personality needs. Defense in depth: the
// translator is the boundary, this is what stands behind it.

namespace vx::os::linux_i386 {

// Installs the filter on the calling process, for good (it is inherited by
// the host processes forked for guest forks). The personality's own host
// calls are allowed; every i386 or x32 ABI call, and every other call, kills
// the process with SIGSYS. Throws vx::Error when the kernel refuses it.
void install_host_filter();

}  // namespace vx::os::linux_i386
