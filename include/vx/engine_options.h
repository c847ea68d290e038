#pragma once
// Each engine's own options. A sandbox hands them to its engine untouched:
// only that engine reads them, and the others ignore them.
#include <cstdint>

namespace vx {

// The binary-translation engine (docs/dbt-engine.md).
struct DbtOptions {
    // Bytes of translated code kept at once (1 MiB .. 2 GiB); when full, every
    // translation is dropped and made again as the guest runs.
    uint64_t code_cache = 64u << 20;
    bool operator==(const DbtOptions&) const = default;
};

}  // namespace vx
