#include "mount_option.h"

#include <cstring>

#include "vx/error.h"

namespace vxrun {

vx::os::linux_i386::Mount parse_mount(const std::string& spec) {
    vx::os::linux_i386::Mount m;
    size_t first = spec.find(':');
    if (first == std::string::npos || first == 0) throw vx::Error("--mount wants HOST:GUEST[:ro|rw], got " + spec);
    m.host_path = spec.substr(0, first);
    std::string rest = spec.substr(first + 1);
    size_t second = rest.find(':');
    m.guest_path = rest.substr(0, second);
    if (second != std::string::npos) {
        std::string mode = rest.substr(second + 1);
        if (mode != "ro" && mode != "rw") throw vx::Error("--mount mode must be ro or rw, got " + mode);
        m.writable = mode == "rw";
    }
    if (!m.guest_path.starts_with("/")) throw vx::Error("--mount guest path must be absolute: " + m.guest_path);
    return m;
}

std::string describe_refusal(const vx::os::linux_i386::SetupRefused& refused) {
    using Reason = vx::os::linux_i386::SetupRefused::Reason;
    const vx::os::linux_i386::Mount& mount = refused.mount;
    switch (refused.reason) {
    case Reason::HostPathUnusable:
        return "--mount " + mount.host_path + ": " + std::strerror(refused.error);
    case Reason::GuestPathTaken:
        return "--mount " + mount.host_path + ":" + mount.guest_path + ": " + refused.taken_path +
               " is given to the guest already" +
               (refused.other ? " (by --mount " + refused.other->host_path + ")" : " (a device every guest has)");
    case Reason::TmpTaken:
        return "--tmp and --mount " + mount.host_path + ":" + mount.guest_path + " both give the guest /tmp";
    case Reason::CwdUnusable:
        return "--cwd " + refused.taken_path + ": not a directory inside a --mount (" + std::strerror(refused.error) +
               ")";
    }
    return refused.what();
}

}  // namespace vxrun
