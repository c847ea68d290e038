#pragma once
// Stopping a running guest from outside its code: interrupt() from any
// thread, and the CPU and wall-time limits through POSIX timers. A request
// sets a bit the engine looks at before it enters guest code, closes the
// fuel window (with fuel, every block loads from it first), and signals the
// thread running the guest: its handler makes the running block leave at its
// end, stops a long rep string instruction where it is, and breaks a
// blocking host call. See docs/resource-limits.md.
#include <signal.h>
#include <time.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

#include "vx/limits.h"

namespace vx::dbt {

enum StopRequest : uint32_t { kStopInterrupt = 1, kStopCpuTime = 2, kStopWallTime = 4 };

// The host signal timers and interrupt() use: core's Sandbox::interrupt_signal,
// which personalities keep from their guests.
int preemption_signal();
// The value the preemption signal carries (SI_QUEUE) when another host
// process asks every sandbox of this one to stop (Sandbox::interrupt_signal).
int interrupt_all_value();
// Requests an interrupt of every Preemption of this process; async-signal-safe.
void interrupt_all();
// The Preemption whose timer sent a signal (si_value / 8), if it still exists.
class Preemption;
Preemption* preemption_in_slot(int slot);

class Preemption {
public:
    // `requests` is where the bits are kept (in the runtime context, for
    // vx_dbt_enter); the fuel window is closed while any is set (none: null).
    Preemption(std::atomic<uint32_t>& requests, uint8_t* fuel_window, size_t fuel_window_size,
               const EngineLimits& limits);
    ~Preemption();
    Preemption(const Preemption&) = delete;
    Preemption& operator=(const Preemption&) = delete;

    // Around each entry into guest code on the calling thread: the time
    // limits' timers are (re)armed for it when it is another thread than last
    // time, and interrupt() signals it while it runs guest code.
    void enter_guest();
    void leave_guest();

    // Any thread, and async-signal-safe: asks the guest to stop.
    void request(uint32_t what);
    uint32_t pending() const { return requests_.load(std::memory_order_acquire); }
    // A host system call that may block: -EINTR when a request is pending
    // before it or comes while it blocks (request() signals this thread for
    // that, as while it runs guest code).
    long blocking_call(long number, const long* args);
    // The requests so far, cleared, and the fuel window readable again.
    uint32_t take();

    // CPU time of the threads that ran the guest, and wall time, since it
    // first ran.
    uint64_t cpu_time_ns() const;
    uint64_t wall_time_ns() const;
    // Moves the CPU-time limit: the timer is armed again for what is left
    // of it (at once a request, when nothing is).
    void set_cpu_time_limit(uint64_t ns);

    // Around a host fork: timers are not inherited, so the child arms its own
    // (its CPU time starts where the parent's was; the wall deadline is kept).
    void prepare_fork();
    void finish_fork(bool in_child);

private:
    void arm_timers();
    void set_fuel_window(int prot);
    void delete_timers();
    timer_t make_timer(clockid_t clock, uint32_t what);

    std::atomic<uint32_t>& requests_;
    uint8_t* fuel_window_;
    size_t fuel_window_size_;
    EngineLimits limits_;
    int slot_ = -1;  // in the registry the timer signal and interrupt_all find us through
    std::atomic<pid_t> running_tid_{0};
    uint64_t thread_serial_ = 0;  // of the thread the timers are armed for (0: none)
    std::optional<timer_t> cpu_timer_, wall_timer_;
    bool started_ = false;
    uint64_t wall_start_ns_ = 0;
    uint64_t cpu_before_ns_ = 0;     // on earlier threads
    uint64_t thread_cpu_start_ns_ = 0;  // of the current thread when it took over
    uint64_t cpu_at_fork_ns_ = 0;
};

}  // namespace vx::dbt
