#pragma once
// A private, initially empty host directory for a guest (its /tmp), removed
// with everything the guest put in it when the owner is done, or, when the
// owner dies without being done (SIGKILL), by a watchdog process.
#include <functional>
#include <string>

namespace vx::os::linux_i386 {

class ScratchDirectory {
public:
    // Creates it under $TMPDIR (or /tmp) and starts its watchdog: a process
    // in a session of its own, ignoring SIGINT, SIGTERM and SIGHUP, that
    // waits for every copy of a close-on-exec pipe's write end to be closed
    // (this process's, and those of the processes forked from it: however
    // they end) and then removes the directory. The watchdog is no child of
    // this process (so no wait for a child sees it). Throws vx::Error when
    // either cannot be made. `left_behind` is told when the directory
    // could not be removed at the end: its path, and whether the watchdog
    // tries again.
    using LeftBehind = std::function<void(const std::string& path, bool watchdog_retries)>;
    explicit ScratchDirectory(LeftBehind left_behind = nullptr);
    // Removes it and its contents (see empty_directory), then lets the
    // watchdog go: when this returns, the directory is gone.
    ~ScratchDirectory();
    ScratchDirectory(const ScratchDirectory&) = delete;
    ScratchDirectory& operator=(const ScratchDirectory&) = delete;

    const std::string& host_path() const { return path_; }

private:
    void remove();

    std::string path_;
    LeftBehind left_behind_;
    int parent_ = -1;    // the directory it is in
    int self_ = -1;      // it, opened when it was made (whatever modes the guest sets later)
    int watchdog_ = -1;  // the pipe's write end
};

// Removes everything the directory `dir` holds, at any depth, without ever
// following a symlink: subdirectories are opened with O_NOFOLLOW relative to
// their parent's descriptor, and their entries moved up into `dir` (renameat2
// with RENAME_NOREPLACE) until none is left, so the walk needs neither a
// stack nor more than two descriptors, whatever the depth. Modes that would
// stop it (a directory made unreadable) are reset first. It allocates no
// memory (it runs in a forked process). True when `dir` ends up empty.
bool empty_directory(int dir);

}  // namespace vx::os::linux_i386
