#pragma once
// A private, initially empty host directory for a guest (its /tmp), removed
// with everything the guest put in it when the owner is done.
#include <string>

namespace vx::os::linux_i386 {

class ScratchDirectory {
public:
    // Creates it under $TMPDIR (or /tmp); throws vx::Error when it cannot.
    ScratchDirectory();
    // Removes it and its contents without ever following a symlink the guest
    // left there (each step is relative to a directory descriptor opened with
    // O_NOFOLLOW), so nothing outside it can be touched, whatever the guest
    // made of it.
    ~ScratchDirectory();
    ScratchDirectory(const ScratchDirectory&) = delete;
    ScratchDirectory& operator=(const ScratchDirectory&) = delete;

    const std::string& host_path() const { return path_; }

private:
    std::string path_;
};

}  // namespace vx::os::linux_i386
