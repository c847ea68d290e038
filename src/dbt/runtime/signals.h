#pragma once
#include <cstdint>

namespace vx::dbt {

class DbtEngine;

// Installs (once per process) the handlers that turn faults in translated code
// into guest events.
void install_fault_handlers();

// Points %gs at `base` for this thread (translated code addresses guest memory
// through it); cheap when it already does.
void set_thread_gs_base(uint64_t base);

// Marks the engine running guest code on this thread, for the fault handler.
class RunningEngine {
public:
    explicit RunningEngine(DbtEngine* engine);
    ~RunningEngine();
};

}  // namespace vx::dbt
