#pragma once
#include <stdexcept>
#include <string>

namespace vx {

// Thrown for setup failures the caller can report: a bad ELF file, an exhausted
// address space, a host without modify_ldt. Never thrown for guest misbehaviour:
// that is an Event.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace vx
