#pragma once
// How vxrun reads the values of its limit options: CLI11 validators that
// turn the text into a number (bytes, nanoseconds, a count) before CLI11
// stores it, or say what is wrong with it.
#include <CLI/CLI.hpp>

#include <cstdint>

namespace vxrun {

// A size: decimal digits and an optional unit, read by CLI11's AsSizeValue
// with binary units (k or K is 1024, M, G, T; kb and KiB alike), e.g. 64M.
CLI::Validator size_value();
// Seconds, with an optional fraction or exponent and s or ms (10, 1.5,
// 250ms, 2s): above 0 and at most 1e9 s. The text becomes nanoseconds.
CLI::Validator seconds_value();
// A count: decimal digits (no sign, no 0x, no octal).
CLI::Validator count_value();
// A number (as the validators above leave it) that `unit` divides.
CLI::Validator multiple_of(uint64_t unit);

}  // namespace vxrun
