// The engines this build has: the one place in the library that names them,
// so that core, personalities and tools choose one by SandboxOptions::engine.
#include "core/engine.h"
#include "dbt/dbt_engine.h"
#include "vx/error.h"
#include "vx/sandbox.h"

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

Sandbox::Sandbox(const SandboxOptions& options) : Sandbox(options, engine_factory(options.engine)) {}

}  // namespace vx
