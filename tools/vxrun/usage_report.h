#pragma once
// vxrun --stats: what the guest used, on stderr at the end.
#include <cstdio>
#include <string>

#include "os/linux_i386/run_outcome.h"
#include "vx/sandbox.h"

namespace vxrun {

// What the run was (the program's path as given, the engine), instructions
// when fuel is counted, CPU and wall time, memory, host mappings and
// confinement, the engine's own counts (translations, code cache, ...) and
// the system calls by name: as text, or as one line of JSON.
struct RunSubject {
    std::string program;
    vx::EngineKind engine;
};
void report_usage(FILE* out, const vx::os::linux_i386::RunOutcome& outcome, const RunSubject& run, bool json);
std::string usage_json(const vx::os::linux_i386::RunOutcome& outcome, const RunSubject& run);

}  // namespace vxrun
