#pragma once
// The Sandbox-level suites run once for each engine this build has and this
// machine runs (vx::available_engines): a second engine is one more parameter.
//   class MySuite : public ::testing::TestWithParam<vx::EngineKind> {...};
//   VX_FOR_EACH_ENGINE(MySuite);
// and each test builds its sandboxes with on_engine(GetParam(), options).
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "vx/sandbox.h"

namespace vx {
inline void PrintTo(EngineKind engine, std::ostream* out) { *out << to_string(engine); }
}  // namespace vx

namespace vx::testing {

inline SandboxOptions on_engine(EngineKind engine, SandboxOptions options = {}) {
    options.engine = engine;
    return options;
}

inline std::string engine_name(const ::testing::TestParamInfo<EngineKind>& info) { return to_string(info.param); }

}  // namespace vx::testing

#define VX_FOR_EACH_ENGINE(suite) \
    INSTANTIATE_TEST_SUITE_P(Engines, suite, ::testing::ValuesIn(vx::available_engines()), vx::testing::engine_name)
