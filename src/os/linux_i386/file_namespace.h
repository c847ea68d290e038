#pragma once
// The guest's view of files: nothing but what the user granted. Each grant
// (a Mount) makes a host file or directory appear at a guest path,
// read-only or writable. A guest path is resolved one component at a time in the
// guest's namespace, as a kernel's VFS does: each step opens one name below
// the current host directory (openat2, no symlinks, no `..`, no mounts), a
// symlink's text is resolved again from the guest's root or the link's
// directory, `..` goes up the canonical guest path, and reaching a mount
// point, or a directory that is a read-only grant's root, enters that grant.
// What a call may do (write, create, remove) is decided by the grant where
// the resolution ended, never by the path the guest wrote.
#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "vx/error.h"

namespace vx::os::linux_i386 {

struct Mount {
    std::string guest_path;  // normalized, absolute
    std::string host_path;
    bool writable = false;
};

// A grant or working directory that cannot be given to the guest, as data:
// what() says why in the personality's words; a tool may say it in its own
// (naming its options).
class SetupRefused : public Error {
public:
    enum class Reason {
        HostPathUnusable,  // mount.host_path cannot be looked at or opened (error)
        GuestPathTaken,    // mount's guest path (taken_path, normalized) is given already: by `other`,
                           // or (no other) a device every guest has
        TmpTaken,          // the private /tmp was asked for, and `mount` gives /tmp too
        CwdUnusable,       // taken_path is no directory the guest can reach (error)
    };
    SetupRefused(Reason reason, Mount mount, std::string taken_path = {}, std::optional<Mount> other = {},
                 int error = 0);

    Reason reason;
    Mount mount;                // the grant refused (CwdUnusable: none)
    std::string taken_path;     // GuestPathTaken: the guest path; CwdUnusable: the working directory
    std::optional<Mount> other; // GuestPathTaken: the grant there already (none: a built-in device)
    int error = 0;              // HostPathUnusable, CwdUnusable: the errno
};

// Where something lies in the guest's namespace: what a guest descriptor
// remembers, so that *at calls resolve from it.
struct Place {
    static constexpr int kSynthetic = -1;
    // Its canonical guest path (absolute, no symlink, `.` or `..`); "" for a
    // descriptor the namespace did not open (a pipe, the host's stdio).
    std::string path;
    // The grant it lies in (an index in the namespace), or kSynthetic: a
    // directory on the way to grants (`/`, `/a` for a grant at /a/b), which
    // holds nothing but that way.
    int grant = kSynthetic;
    bool in_namespace() const { return !path.empty(); }
    bool synthetic() const { return in_namespace() && grant == kSynthetic; }
};

// A place and a host descriptor for it (-1 for a synthetic directory); the
// descriptor is closed with the entry when it is owned.
struct Entry {
    Place place;
    int host = -1;
    bool owned = false;

    Entry() = default;
    Entry(Place p, int fd, bool own) : place(std::move(p)), host(fd), owned(own) {}
    Entry(Entry&& other) noexcept { *this = std::move(other); }
    Entry& operator=(Entry&& other) noexcept;
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    ~Entry();
};

// Where a relative path starts: a directory's place and its host descriptor
// (borrowed; -1 for a synthetic directory).
struct At {
    const Place* place;
    int host;
};

class FileNamespace {
public:
    // Holds the harmless devices from the start (/dev/null, /dev/zero,
    // /dev/full, /dev/random, /dev/urandom), and no other file.
    FileNamespace();
    ~FileNamespace();
    FileNamespace(const FileNamespace&) = delete;
    FileNamespace& operator=(const FileNamespace&) = delete;

    // Throws vx::Error when the host path cannot be opened. A later grant at
    // the same guest path hides an earlier one, as a later mount does.
    void add(const Mount& mount);

    // Opens guest `path` from `at` (used when `path` is relative) with
    // open(2) `flags` and `mode`: a host fd, its place in `opened`, or
    // -errno. A synthetic directory opens as an empty, deleted host directory.
    int open(At at, const std::string& path, int flags, int mode, Place& opened) const;

    // Looks `path` up, following a final symlink when `follow`: `found` gets
    // its place and an O_PATH host fd (-1 for a synthetic directory). 0 or -errno.
    int lookup(At at, const std::string& path, bool follow, Entry& found) const;

    // The directory that holds the last component of `path` (not followed),
    // for making, removing or renaming it: `parent`, and the component in
    // `name` ("." or ".." as written; "/" for the root), `dir_only` when `path`
    // ended in a slash. 0 or -errno.
    int lookup_parent(At at, const std::string& path, Entry& parent, std::string& name, bool& dir_only) const;

    // Every grant, the built-in devices included: what the host process must
    // still reach once confined.
    std::vector<Mount> mounts() const;
    // The empty, deleted host directory synthetic directories open as: the
    // confined host process must still be able to open it.
    int synthetic_directory() const { return empty_dir_; }

    // 0 when `name` may be made, removed or renamed in `parent`: -EBUSY for a
    // mount point, a synthetic directory, or what is a read-only grant's root
    // or granted file; -EROFS in a read-only grant; -ENOENT for anything else in
    // a synthetic directory (which holds nothing but the way to grants).
    int check_entry_change(const Entry& parent, const std::string& name) const;

    // The grant `name` in `parent` lies in (not followed): a mount point's,
    // another grant's when it is that one's root or file, else the parent's.
    int entry_grant(const Entry& parent, const std::string& name) const;

    // Whether what lies at `place` is in a writable grant; whether it is one of
    // the built-in devices (which belong to the host).
    bool writable(const Place& place) const;
    bool device(const Place& place) const;

    // What stat tells of a synthetic directory: a fixed device, stable inode
    // numbers, root's, mode 0555. The guest's owners are applied by the caller.
    struct stat synthetic_stat(const Place& place) const;
    struct DirEntry {
        std::string name;
        uint64_t inode;
        unsigned char type;  // DT_*
    };
    // What a synthetic directory lists: `.`, `..`, and the next components
    // towards the grants below it.
    std::vector<DirEntry> synthetic_entries(const Place& place) const;

    // The guest's root and working directory, as starting points.
    At cwd() const { return {&cwd_.place, cwd_.host}; }
    const std::string& cwd_path() const { return cwd_.place.path; }
    // Changes the cwd to the directory `path` names, or `at` itself when
    // `path` is empty; 0 or -errno.
    int chdir(At at, const std::string& path);

    // `path` made absolute (from the cwd) and free of `.`, `..` and repeated
    // slashes, lexically, as a guest path (.. at / stays at /).
    std::string normalize(const std::string& path) const;

private:
    struct Grant {
        Mount mount;
        int host_dir = -1;        // O_PATH fd of the directory, or of a file's parent
        std::string file_name;    // for a granted file: its name in host_dir
        bool device = false;      // one of the built-in devices
        dev_t dev = 0;            // the host identity of the directory or file
        ino_t ino = 0;
        mode_t type = 0;          // S_IFDIR, S_IFREG, S_IFCHR...
        uint64_t mount_id = 0;    // the host mount it lies on
        // Another grant lies on the same host mount or device, so a directory
        // or file reached in this one may be that one's (renames and links
        // stay on a mount; bind mounts show one device twice): each step
        // compares identities.
        bool shares_mount = false;
    };
    struct Request;  // what the last component of a resolution is for

    const Grant* mount_point(const std::string& guest, int* index = nullptr) const;
    bool leads_to_grant(const std::string& guest) const;
    Entry root_entry() const;
    // The grant a host object with `st` belongs to: a read-only grant's, when
    // it is that one's root or file, else `grant`.
    int grant_of(const struct stat& st, int grant) const;
    bool needs_identity_check(int grant) const { return grant >= 0 && grants_[size_t(grant)].shares_mount; }

    int resolve(At at, const std::string& path, const Request& request, Entry& out) const;
    // Steps through `pending` (next component last) while more than `keep`
    // remain, each a directory; symlinks push their targets.
    int walk(std::vector<Entry>& stack, std::vector<std::string>& pending, size_t keep, int& links) const;
    int step(std::vector<Entry>& stack, const std::string& name, std::vector<std::string>& pending, int& links) const;
    int up(std::vector<Entry>& stack) const;
    int follow_link(std::vector<Entry>& stack, const std::string& name, std::vector<std::string>& pending,
                    int& links) const;
    // The last component: 1 when it was a symlink now pushed onto `pending`.
    int open_last(std::vector<Entry>& stack, const std::string& name, const Request& request,
                  std::vector<std::string>& pending, int& links, Entry& out) const;
    int open_current(const Entry& current, const Request& request, Entry& out) const;
    uint64_t synthetic_inode(const std::string& guest) const;

    int empty_dir_ = -1;  // an empty, deleted host directory: what a synthetic directory opens as
    std::vector<Grant> grants_;
    std::vector<std::string> synthetic_;  // every directory leading to a grant, "/" first, sorted
    Entry cwd_;
    int64_t created_ = 0;  // the synthetic directories' times
};

}  // namespace vx::os::linux_i386
