#pragma once
// vxrun --stats: what the guest used, on stderr at the end.
#include <cstdio>
#include <string>

#include "os/linux_i386/run_outcome.h"

namespace vxrun {

// Instructions when fuel is counted, CPU and wall time, translations, code
// cache, memory, host mappings and confinement, and the system calls by
// name: as text, or as one line of JSON (with the program's path as given).
void report_usage(FILE* out, const vx::os::linux_i386::RunOutcome& outcome, const std::string& program, bool json);
std::string usage_json(const vx::os::linux_i386::RunOutcome& outcome, const std::string& program);

}  // namespace vxrun
