// Waiting for descriptors: poll, ppoll and select in their i386 forms, all
// served by the host's poll on the host descriptors behind the guest's.
#include <poll.h>
#include <sys/select.h>
#include <sys/syscall.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {
namespace {

constexpr int kMaxWaitMs = 3600 * 1000;  // as the sleeps: no wait longer than an hour
constexpr uint32_t kFdSetBits = 1024;    // FD_SETSIZE, for i386 too


int timeout_ms(int64_t sec, int64_t nsec) {
    if (sec < 0 || nsec < 0 || nsec >= 1000000000) return -2;  // invalid
    if (sec >= kMaxWaitMs / 1000) return kMaxWaitMs;  // (a 64-bit sec times 1000 could overflow)
    int64_t ms = sec * 1000 + (nsec + 999999) / 1000000;
    return int(std::min<int64_t>(ms, kMaxWaitMs));
}

}  // namespace

int32_t LinuxProcess::poll_guest_fds(std::vector<pollfd>& fds, int timeout) {
    std::vector<int> guest_fds(fds.size());
    bool invalid = false;
    for (size_t i = 0; i < fds.size(); ++i) {
        guest_fds[i] = fds[i].fd;
        if (fds[i].fd >= 0) fds[i].fd = descriptors_.host(uint32_t(fds[i].fd));  // an unknown fd: -1, then POLLNVAL below
        invalid |= guest_fds[i] >= 0 && fds[i].fd < 0;
    }
    long n = blocking(SYS_poll, fds.data(), fds.size(), invalid ? 0 : timeout);
    if (n < 0) return fail(errno);
    for (size_t i = 0; i < fds.size(); ++i) {
        if (guest_fds[i] >= 0 && fds[i].fd < 0) {
            fds[i].revents = POLLNVAL;
            ++n;
        }
        fds[i].fd = guest_fds[i];
    }
    return int32_t(n);
}

int32_t LinuxProcess::poll_with(uint32_t address, uint32_t count, int timeout) {
    if (count > DescriptorTable::kMaxDescriptors) return fail(EINVAL);
    std::vector<pollfd> fds(count);  // struct pollfd is the same for i386 and x86-64
    if (count && !memory_.read(address, fds.data(), count * sizeof(pollfd))) return fail(EFAULT);
    int32_t n = poll_guest_fds(fds, timeout);
    if (n < 0) return n;
    if (count && !memory_.write(address, fds.data(), count * sizeof(pollfd))) return fail(EFAULT);
    return n;
}

int32_t LinuxProcess::sys_poll(const SyscallArgs& a) {
    const uint32_t fds = a.a[0], count = a.a[1], timeout_ms = a.a[2];
    return poll_with(fds, count, int32_t(timeout_ms) < 0 ? -1 : int(std::min<uint32_t>(timeout_ms, kMaxWaitMs)));
}

namespace {

// A guest timespec (32- or 64-bit) as poll's milliseconds: -1 for none
// (a null pointer), or -errno.
template <typename Timespec>
int32_t read_timeout(const GuestMemory& memory, uint32_t address, int& out) {
    out = -1;
    if (!address) return 0;
    Timespec t;
    if (!memory.read(address, &t, sizeof t)) return fail(EFAULT);
    out = timeout_ms(t.sec, t.nsec);
    return out == -2 ? fail(EINVAL) : 0;
}

}  // namespace

int32_t LinuxProcess::sys_ppoll(const SyscallArgs& a) {
    const uint32_t fds = a.a[0], count = a.a[1], timeout_address = a.a[2];  // the signal mask is ignored
    int timeout;
    if (int32_t error = read_timeout<Timespec32>(memory_, timeout_address, timeout)) return error;
    return poll_with(fds, count, timeout);
}

int32_t LinuxProcess::sys_ppoll64(const SyscallArgs& a) {
    const uint32_t fds = a.a[0], count = a.a[1], timeout_address = a.a[2];  // the signal mask is ignored
    int timeout;
    if (int32_t error = read_timeout<Timespec64>(memory_, timeout_address, timeout)) return error;
    return poll_with(fds, count, timeout);
}

int32_t LinuxProcess::select_with(uint32_t nfds, uint32_t read_set, uint32_t write_set, uint32_t except_set,
                                  int timeout) {
    if (nfds > kFdSetBits) return fail(EINVAL);
    const uint32_t bytes = (nfds + 7) / 8;
    uint8_t sets[3][kFdSetBits / 8] = {};
    const uint32_t addresses[3] = {read_set, write_set, except_set};
    for (int s = 0; s < 3; ++s)
        if (addresses[s] && !memory_.read(addresses[s], sets[s], bytes)) return fail(EFAULT);
    const short events[3] = {POLLIN, POLLOUT, POLLPRI};
    std::vector<pollfd> fds;
    for (uint32_t fd = 0; fd < nfds; ++fd) {
        short wanted = 0;
        for (int s = 0; s < 3; ++s)
            if (sets[s][fd / 8] & (1 << (fd % 8))) wanted |= events[s];
        if (wanted) fds.push_back({int(fd), wanted, 0});
    }
    int32_t n = poll_guest_fds(fds, timeout);
    if (n < 0) return n;
    uint8_t ready[3][kFdSetBits / 8] = {};
    int32_t count = 0;
    for (const pollfd& p : fds) {
        if (p.revents & POLLNVAL) return fail(EBADF);
        const short hits[3] = {short(POLLIN | POLLHUP | POLLERR), short(POLLOUT | POLLERR), POLLPRI};
        for (int s = 0; s < 3; ++s) {
            if ((p.events & events[s]) && (p.revents & hits[s])) {
                ready[s][p.fd / 8] |= uint8_t(1 << (p.fd % 8));
                ++count;
            }
        }
    }
    for (int s = 0; s < 3; ++s)
        if (addresses[s] && !memory_.write(addresses[s], ready[s], bytes)) return fail(EFAULT);
    return count;
}

int32_t LinuxProcess::sys_select(const SyscallArgs& a) {  // _newselect
    const uint32_t count = a.a[0], readable = a.a[1], writable = a.a[2], exceptional = a.a[3], timeout_address = a.a[4];
    int timeout = -1;
    if (timeout_address) {
        Timeval32 t;
        if (!memory_.read(timeout_address, &t, sizeof t)) return fail(EFAULT);
        if (t.usec < 0 || t.usec >= 1000000 || (timeout = timeout_ms(t.sec, int64_t(t.usec) * 1000)) == -2)
            return fail(EINVAL);
    }
    return select_with(count, readable, writable, exceptional, timeout);
}

int32_t LinuxProcess::sys_pselect6(const SyscallArgs& a) {
    const uint32_t count = a.a[0], readable = a.a[1], writable = a.a[2], exceptional = a.a[3], timeout_address = a.a[4];
    int timeout;
    if (int32_t error = read_timeout<Timespec32>(memory_, timeout_address, timeout)) return error;  // the signal mask is ignored
    return select_with(count, readable, writable, exceptional, timeout);
}

int32_t LinuxProcess::sys_pselect6_64(const SyscallArgs& a) {
    const uint32_t count = a.a[0], readable = a.a[1], writable = a.a[2], exceptional = a.a[3], timeout_address = a.a[4];
    int timeout;
    if (int32_t error = read_timeout<Timespec64>(memory_, timeout_address, timeout)) return error;  // the signal mask is ignored
    return select_with(count, readable, writable, exceptional, timeout);
}

}  // namespace vx::os::linux_i386
