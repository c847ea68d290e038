#pragma once
// vxrun --mount HOST:GUEST[:ro|rw]: a grant of the Linux personality; and
// what vxrun says of a grant, --tmp or --cwd the personality refuses.
#include <string>

#include "os/linux_i386/file_namespace.h"

namespace vxrun {

// Parses HOST:GUEST[:ro|rw] (read-only unless :rw). Throws vx::Error with
// the message vxrun prints.
vx::os::linux_i386::Mount parse_mount(const std::string& spec);

// The refusal in vxrun's words (its options named), without "vxrun: ".
std::string describe_refusal(const vx::os::linux_i386::SetupRefused& refused);

}  // namespace vxrun
