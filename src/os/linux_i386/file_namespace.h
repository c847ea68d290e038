#pragma once
// The guest's view of files: nothing but what the user granted. Each grant
// (--mount HOST:GUEST[:ro|rw]) makes a host file or directory appear at a
// guest path; lookups below it are resolved by the kernel with openat2's
// RESOLVE_BENEATH, so no `..`, symlink or race leads out of the grant.
#include <string>
#include <vector>

namespace vx::os::linux_i386 {

struct Mount {
    std::string guest_path;  // normalized, absolute
    std::string host_path;
    bool writable = false;
};

class FileNamespace {
public:
    // Holds the harmless devices from the start (/dev/null, /dev/zero,
    // /dev/full, /dev/random, /dev/urandom), and no other file.
    FileNamespace();
    ~FileNamespace();
    FileNamespace(const FileNamespace&) = delete;
    FileNamespace& operator=(const FileNamespace&) = delete;

    // Throws vx::Error when the host path cannot be opened.
    void add(const Mount& mount);

    // Opens guest `path` (relative to the guest's cwd) with open(2) `flags`
    // and `mode`. Returns a host fd, or -errno.
    int open(const std::string& path, int flags, int mode) const;

    // Opens the directory that would hold guest `path`, for creating or
    // removing `name` in it: a host O_PATH fd, or -errno (-EROFS in a
    // read-only grant).
    int open_parent(const std::string& path, std::string& name) const;

    // 0 when guest `path` lies in a writable grant, else -EROFS (or -ENOENT
    // outside every grant): for changes that open nothing for writing.
    int check_writable(const std::string& path) const;
    // 0 when the guest may change the mode, times or owner of guest `path`: it
    // lies in a writable grant and is not one of the built-in devices, which
    // belong to the host (-EPERM, as Linux tells a user about root's files).
    int check_changeable(const std::string& path) const;

    const std::string& cwd() const { return cwd_; }
    // Every grant, the built-in devices included: what the host process must
    // still reach once confined.
    std::vector<Mount> mounts() const;
    // Changes the cwd to a directory inside a grant; 0 or -errno.
    int chdir(const std::string& path);

    // `path` made absolute and free of `.`, `..` and repeated slashes, as a
    // guest path (.. at / stays at /).
    std::string normalize(const std::string& path) const;

private:
    struct Grant {
        Mount mount;
        int host_dir = -1;        // O_PATH fd of the directory, or of a file's parent
        std::string file_name;    // for a granted file: its name in host_dir
        bool device = false;      // one of the built-in devices
    };
    // The grant holding `guest` and the path below it ("" for the grant itself).
    const Grant* find(const std::string& guest, std::string& below) const;

    // Directories on the way to a grant (/ itself, /a for a grant at /a/b)
    // exist for the guest, empty and read-only: they all open as this empty,
    // already deleted host directory.
    bool leads_to_grant(const std::string& guest) const;
    int empty_dir_ = -1;

    std::vector<Grant> grants_;
    std::string cwd_ = "/";
};

// Parses HOST:GUEST[:ro|rw] (read-only unless :rw). Throws vx::Error.
Mount parse_mount(const std::string& spec);

}  // namespace vx::os::linux_i386
