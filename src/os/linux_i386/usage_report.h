#pragma once
#include <cstdio>

#include "os/linux_i386/process.h"
#include "vx/sandbox.h"

namespace vx::os::linux_i386 {

// What a guest used (vxrun --stats): instructions when fuel is counted, CPU
// and wall time, translations, code cache, memory, and its system calls by
// name; as text, or as one JSON object.
void report_usage(FILE* out, const Sandbox& sandbox, const LinuxProcess& process, bool json);

}  // namespace vx::os::linux_i386
