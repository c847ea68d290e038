#include "guest_setup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace vxrun {
namespace {

// What a program needs to start, and nothing of the host's: environments carry
// tokens and keys, so the guest gets only what it is given.
constexpr const char* kGuestPath = "PATH=/usr/local/bin:/usr/bin:/bin";

}  // namespace

int read_program(const std::string& path, std::vector<uint8_t>& contents) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        std::fprintf(stderr, "vxrun: %s: %s\n", path.c_str(), std::strerror(e));
        return e == ENOENT ? kExitNotFound : kExitNotRunnable;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        std::fprintf(stderr, "vxrun: %s: not a regular file\n", path.c_str());
        close(fd);
        return kExitNotRunnable;
    }
    contents.resize(size_t(st.st_size));
    size_t done = 0;
    while (done < contents.size()) {
        ssize_t n = read(fd, contents.data() + done, contents.size() - done);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            std::fprintf(stderr, "vxrun: %s: cannot read: %s\n", path.c_str(),
                         n < 0 ? std::strerror(errno) : "file shrank");
            close(fd);
            return kExitNotRunnable;
        }
        done += size_t(n);
    }
    close(fd);
    return 0;
}


std::vector<std::string> guest_environment(EnvironmentBase base, const std::vector<std::string>& settings) {
    std::vector<std::string> env;
    if (base == EnvironmentBase::Minimal) env.emplace_back(kGuestPath);
    if (base == EnvironmentBase::Host)
        for (char** e = environ; *e; ++e) env.emplace_back(*e);
    for (const std::string& setting : settings) {
        std::string entry = setting;
        if (setting.find('=') == std::string::npos) {
            const char* host_value = getenv(setting.c_str());
            if (!host_value) continue;
            entry = setting + "=" + host_value;
        }
        std::string key = entry.substr(0, entry.find('=') + 1);
        std::erase_if(env, [&](const std::string& e) { return e.starts_with(key); });
        env.push_back(entry);
    }
    return env;
}

std::array<int, 3> take_standard_descriptors() {
    std::array<int, 3> given = {0, 1, 2};
    for (int fd = 0; fd < 3; ++fd) {
        if (fcntl(fd, F_GETFD) < 0) {
            given[size_t(fd)] = -1;
            int placeholder = open("/dev/null", O_RDWR);
            if (placeholder != fd) _exit(kExitSetupFailed);  // the lowest free number is fd: cannot fail so
        }
        fcntl(fd, F_SETFD, FD_CLOEXEC);  // as every descriptor vxrun keeps (it never execs: the filter forbids it)
    }
    close_range(3, ~0u, 0);
    return given;
}

}  // namespace vxrun
