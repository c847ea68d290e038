// The engines this build has: the one place in the library that names them,
// so that core, personalities and tools choose one by SandboxOptions::engine.
#include "core/engine.h"
#include "dbt/dbt_engine.h"
#include "vx/error.h"
#include "vx/sandbox.h"
#include "vx/snapshot.h"

namespace vx {

namespace {
Sandbox::EngineFactory engine_factory(EngineKind kind) {
    switch (kind) {
    case EngineKind::Dbt: return dbt::make_dbt_engine;
    }
    throw Error("this build of vx has no such engine");
}
}  // namespace

const char* to_string(EngineKind engine) {
    switch (engine) {
    case EngineKind::Dbt: return "dbt";
    }
    return "unknown";
}

std::vector<EngineKind> available_engines() { return {EngineKind::Dbt}; }

// Each engine's factory refuses the arches not listed here.
std::vector<Arch> engine_arches(EngineKind engine) {
    switch (engine) {
    case EngineKind::Dbt: return {Arch::i386};
    }
    return {};
}

// The constructors that choose an engine by the options: core's own take the
// engine's factory, so that core names none.
Sandbox::Sandbox(const SandboxOptions& options) : Sandbox(options, engine_factory(options.engine)) {}

Sandbox::Sandbox(const Snapshot& snapshot) : Sandbox(snapshot, snapshot.options()) {}

Sandbox::Sandbox(const Snapshot& snapshot, const SandboxOptions& options)
    : Sandbox(snapshot, options, engine_factory(options.engine)) {}

}  // namespace vx
