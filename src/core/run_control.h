#pragma once
// Stopping a running guest from outside its code, for every engine:
// interrupt() from any thread or from another process (the interrupt
// signal), the CPU- and wall-time limits through POSIX timers, and host calls
// that block until a stop ends them. A request sets a bit here, tells the
// engine (Engine::stop_soon) and signals the thread running the guest, whose
// handler tells the engine again there, with the interrupted context. The
// engine stops with an Interrupted event; what it stopped for (an interrupt,
// a time limit) is decided here. See docs/resource-limits.md.
#include <signal.h>
#include <time.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "vx/event.h"
#include "vx/limits.h"

namespace vx {

class Engine;

class RunControl {
public:
    enum Request : uint32_t { kInterrupt = 1, kCpuTime = 2, kWallTime = 4 };

    explicit RunControl(const EngineLimits& limits);
    ~RunControl();
    RunControl(const RunControl&) = delete;
    RunControl& operator=(const RunControl&) = delete;

    // The engine whose stop_soon a request calls (none: nothing is told).
    void attach(Engine* engine) { engine_.store(engine, std::memory_order_release); }

    // Around each Engine::run, on the thread that calls it: the time limits'
    // timers are (re)armed for it when it is another thread than last time,
    // and a request signals it until it leaves. No system call unless the
    // thread changed.
    void enter_guest();
    void leave_guest();
    class Running {
    public:
        explicit Running(RunControl& control) : control_(control) { control_.enter_guest(); }
        ~Running() { control_.leave_guest(); }
        Running(const Running&) = delete;
        Running& operator=(const Running&) = delete;

    private:
        RunControl& control_;
    };

    // Any thread, and async-signal-safe: asks the guest to stop.
    void request(uint32_t what);
    bool pending() const { return requests_.load(std::memory_order_acquire) != 0; }
    // The requests so far, cleared, as the event that ends the run: a time
    // limit reached (kept: limit_exceeded), or Interrupted. None when nothing
    // is left to stop for (a CPU timer whose deadline was moved since).
    std::optional<Event> take_stop();
    // The time limit reached, if one was; it stays until the CPU-time limit
    // is moved past it.
    const std::optional<LimitExceeded>& limit_exceeded() const { return breach_; }

    // A host system call that may block: -EINTR when a request is pending
    // before it, or comes while it blocks.
    long blocking_host_call(long number, const std::array<long, 6>& args);

    // CPU time of the threads that ran the guest, and wall time, since it
    // first ran.
    uint64_t cpu_time_ns() const;
    uint64_t wall_time_ns() const;
    // Moves the CPU-time limit: the timer is armed again for what is left
    // of it (at once a request, when nothing is); a CpuTime limit reached
    // below `ns` no longer holds.
    void set_cpu_time_limit(uint64_t ns);

    // A call into the guest's own time limits (Sandbox::call), within the
    // sandbox's: at most `cpu_ns` of CPU and `wall_ns` of wall time from now
    // (unset: none of its own), and within the call it is nested in. What
    // the call reaches of them stops it as the sandbox's limits would, but
    // is not kept: it ends with end_call, which puts `outer` back.
    struct CallWindow {
        std::optional<uint64_t> cpu_at, cpu_budget;    // in cpu_time_ns()'s terms
        std::optional<uint64_t> wall_at, wall_budget;  // CLOCK_MONOTONIC
    };
    CallWindow begin_call(std::optional<uint64_t> cpu_ns, std::optional<uint64_t> wall_ns) noexcept;
    void end_call(const CallWindow& outer) noexcept;
    // Counting starts again for a new tenant (SandboxPool): no CPU or wall
    // time used, the time limits `limits` gives, none reached. A pending
    // interrupt stays.
    void restart(const EngineLimits& limits) noexcept;
    // Around a host fork: timers are not inherited, so the child arms its own
    // (its CPU time starts where the parent's was; the wall deadline is kept).
    void prepare_fork();
    void finish_fork(bool in_child);

    // The host system calls (x86-64 numbers) all this makes while a guest
    // runs: the interrupt signal's handler, the timers, signalling a thread.
    static std::vector<long> host_calls();

private:
    friend void on_interrupt_signal(siginfo_t* info, void* uc);
    static void interrupt_all();
    // A time limit's timer signal, with the value its timer carries.
    static void on_timer_signal(int value);
    void take_over_thread(uint64_t serial);
    void arm_timers();
    // arm_timers again now when this thread is the one they are armed for
    // (else the next enter_guest arms them).
    void rearm_timers_here() noexcept;
    // Where the CPU and wall timers go off: the sandbox's limit or the
    // call's, whichever comes first.
    std::optional<uint64_t> cpu_deadline() const;
    std::optional<uint64_t> wall_deadline() const;
    // The CPU-time limit's timer on this thread, for what is left of the
    // limit after `used` (nothing left: a request at once).
    void arm_cpu_timer(uint64_t used);
    void delete_timers();
    timer_t make_timer(clockid_t clock, uint32_t what);

    std::atomic<uint32_t> requests_{0};
    std::atomic<Engine*> engine_{nullptr};
    EngineLimits limits_;
    std::optional<LimitExceeded> breach_;
    int slot_ = -1;  // in the registry the timer signal and interrupt_all find us through
    uint32_t generation_ = 0;  // of the slot, since we took it
    std::atomic<pid_t> running_tid_{0};
    uint64_t thread_serial_ = 0;  // of the thread the timers are armed for (0: none)
    pid_t thread_tid_ = 0;        // that thread's id, for its CPU clock seen from another
    std::optional<timer_t> cpu_timer_, wall_timer_;
    uint64_t cpu_timer_at_ = 0;  // the deadline cpu_timer_ is armed for
    CallWindow call_;
    bool started_ = false;
    uint64_t wall_start_ns_ = 0;
    uint64_t cpu_before_ns_ = 0;        // on earlier threads
    uint64_t thread_cpu_start_ns_ = 0;  // of the current thread when it took over
    uint64_t cpu_at_fork_ns_ = 0;
};

}  // namespace vx
