#pragma once
#include <cstdio>

#include "vx/sandbox.h"

namespace vx::os {

// The smallest Linux i386 personality: exit, exit_group, read and write on
// fds 0-2; every other call gets -ENOSYS. Guest pointers are checked against
// guest memory: a bad one gets -EFAULT and never becomes a host access.
class LinuxMinimal {
public:
    explicit LinuxMinimal(Sandbox& sandbox) : sandbox_(sandbox) {}

    // Runs the guest to its end. Returns vxrun's exit status: the guest's own
    // on exit, 128+N when it dies of a fault Linux reports as signal N (with a
    // one-line diagnosis on `diagnostics`).
    int run(FILE* diagnostics);

private:
    // Services the syscall in eax; returns true when the guest has exited.
    bool service_syscall(int& exit_status);

    Sandbox& sandbox_;
};

}  // namespace vx::os
