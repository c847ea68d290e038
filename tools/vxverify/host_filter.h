#pragma once
// The filter vxverify puts on itself once its plug-ins are loaded: defense
// in depth behind the translator. Code that got out of it could read files
// and write to the standard output and error, and little else: no file is
// opened for writing, created, renamed or removed, no process signalled but
// this one, no program run, no socket, no executable memory.
#include <vector>

namespace vxverify {

// Installs it for good. `engine_calls`: what the sandboxes make on the host
// while their guests run (vx::Sandbox::host_calls); mmap and mprotect are
// allowed without PROT_EXEC only. Throws vx::Error when the kernel refuses.
void install_host_filter(const std::vector<long>& engine_calls);

}  // namespace vxverify
