#include "os/linux_i386/scratch_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "vx/error.h"

namespace vx::os::linux_i386 {
namespace {

constexpr int kMaxDepth = 512;  // deeper than this is left behind (and said so)

// Removes everything below the directory `dir`; false if something was left.
bool remove_below(int dir, int depth) {
    if (depth > kMaxDepth) return false;
    int listing = fcntl(dir, F_DUPFD_CLOEXEC, 0);
    DIR* d = listing >= 0 ? fdopendir(listing) : nullptr;
    if (!d) {
        if (listing >= 0) close(listing);
        return false;
    }
    std::vector<std::string> names;
    while (dirent* e = readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
    closedir(d);
    bool complete = true;
    for (const std::string& name : names) {
        int sub = openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0) {  // a real directory, not a symlink to one
            complete &= remove_below(sub, depth + 1);
            close(sub);
            complete &= unlinkat(dir, name.c_str(), AT_REMOVEDIR) == 0;
        } else {
            complete &= unlinkat(dir, name.c_str(), 0) == 0;
        }
    }
    return complete;
}

}  // namespace

ScratchDirectory::ScratchDirectory() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/vx-tmp-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!mkdtemp(buffer.data()))
        throw Error("cannot create a private /tmp under " + pattern + ": " + std::strerror(errno));
    path_ = buffer.data();
}

ScratchDirectory::~ScratchDirectory() {
    int dir = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    bool complete = dir >= 0 && remove_below(dir, 0);
    if (dir >= 0) close(dir);
    if (!complete || rmdir(path_.c_str()) != 0)
        std::fprintf(stderr, "vx: could not remove all of the guest's /tmp, %s\n", path_.c_str());
}

}  // namespace vx::os::linux_i386
