#pragma once
// Addresses and values in core's messages: "0x1f000000".
#include <cstdint>
#include <cstdio>
#include <string>

namespace vx {

inline std::string hex(uint64_t value) {
    char text[20];
    std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
    return text;
}

}  // namespace vx
