#include "core/run_control.h"

#include <sched.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>

#include "core/engine.h"
#include "vx/error.h"
#include "vx/sandbox.h"

// run_control.S
extern "C" void vx_interrupt_signal_entry(int signo, siginfo_t* info, void* uc);
extern "C" long vx_interruptible_syscall(const uint32_t* requests, long number, const long* args);
// From the look at the requests to the syscall instruction itself (not yet
// made): a request that comes there leaves through
// vx_interruptible_syscall_stopped (-EINTR); %rbx holds the requests' address.
extern "C" char vx_interruptible_syscall_look[], vx_interruptible_syscall_insn[];
extern "C" void vx_interruptible_syscall_stopped();

namespace vx {
namespace {

// Timer signals carry a slot here, the slot's generation and what they stop
// for, not a pointer: a signal still queued when its sandbox is gone (a
// kernel may deliver a deleted timer's) finds an empty slot, or one whose
// generation moved on for another sandbox. 65536 slots: more sandboxes than
// a host's default vm.max_map_count lets a process map (each takes a few
// host mappings); the arrays' pages that no slot reaches stay untouched.
constexpr int kSlotBits = 16, kRequestBits = 3, kGenerationBits = 12;
constexpr int kSlots = 1 << kSlotBits;
static_assert(RunControl::kWallTime < 1 << kRequestBits &&
              kSlotBits + kRequestBits + kGenerationBits < 32);  // a positive sival_int
std::atomic<RunControl*> slots[kSlots];
std::atomic<uint32_t> slot_generations[kSlots];
// Handlers and interrupt_all using a slot's RunControl now: its destructor
// waits for them, so none uses it once it is gone.
std::atomic<uint32_t> slot_users[kSlots];
// Every slot ever taken is below this (interrupt_all looks no further).
// Lock-free, as the rest (a forked child may make sandboxes): a new
// sandbox takes the slot the last one to go gave back, else a slot never
// used, else the first free one.
std::atomic<int> slots_end{0};
std::atomic<int> slot_given_back{-1};

int take_slot(RunControl* control) {
    auto claim = [control](int slot) {
        RunControl* empty = nullptr;
        return slots[slot].compare_exchange_strong(empty, control, std::memory_order_seq_cst);
    };
    const int given_back = slot_given_back.exchange(-1, std::memory_order_acq_rel);
    if (given_back >= 0 && claim(given_back)) return given_back;
    for (int end = slots_end.load(std::memory_order_acquire); end < kSlots;)
        if (slots_end.compare_exchange_weak(end, end + 1, std::memory_order_acq_rel) && claim(end)) return end;
    for (int slot = 0; slot < kSlots; ++slot)
        if (claim(slot)) return slot;
    return -1;
}

int timer_value(int slot, uint32_t generation, uint32_t what) {
    return int((generation % (1u << kGenerationBits)) << (kSlotBits + kRequestBits) |
               uint32_t(slot) << kRequestBits | what);
}

// Calls `use` with the RunControl in `slot`, if any (and if its generation
// is `generation`, when given); async-signal-safe.
template <class Use>
void with_control_in(int slot, std::optional<uint32_t> generation, Use use) {
    if (slot < 0 || slot >= kSlots) return;
    slot_users[slot].fetch_add(1, std::memory_order_seq_cst);
    RunControl* control = slots[slot].load(std::memory_order_seq_cst);
    const bool same = !generation || slot_generations[slot].load(std::memory_order_acquire) % (1u << kGenerationBits) == *generation;
    if (control && same) use(*control);
    slot_users[slot].fetch_sub(1, std::memory_order_release);
}

std::atomic<uint64_t> thread_serials{0};
thread_local uint64_t this_thread_serial = 0;
thread_local pid_t this_thread_id = 0;
// The RunControl whose engine runs on this thread, for the signal's handler.
thread_local RunControl* running_here = nullptr;
thread_local std::unique_ptr<char[]> own_alternate_stack;

// Signal handlers run on an alternate stack (SA_ONSTACK, engines' own too):
// large enough for an AVX-512 signal frame, with room for the handler.
// Throws Error, having changed nothing, when the host refuses it.
void ensure_alternate_signal_stack() {
    stack_t current;
    if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;
    constexpr size_t kSize = 256 * 1024;
    std::unique_ptr<char[]> memory(new (std::nothrow) char[kSize]);
    if (!memory) throw Error("cannot make this thread's signal stack: out of host memory");
    stack_t stack{};
    stack.ss_sp = memory.get();
    stack.ss_size = kSize;
    if (sigaltstack(&stack, nullptr) != 0)
        throw Error(std::string("cannot give this thread its signal stack: ") + strerror(errno));
    own_alternate_stack = std::move(memory);
}

// A serial of the calling thread's own (never 0); the first time on a thread
// (or in a forked child), the thread is made ready for the signal.
uint64_t current_thread_serial() {
    if (!this_thread_serial) [[unlikely]] {
        ensure_alternate_signal_stack();  // first: a refusal leaves the thread as it was, to try again
        this_thread_serial = ++thread_serials;
        this_thread_id = pid_t(syscall(SYS_gettid));
    }
    return this_thread_serial;
}

uint64_t clock_ns(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return uint64_t(t.tv_sec) * 1000000000u + uint64_t(t.tv_nsec);
}

// The CPU time of thread `tid` of this process (the clock id
// pthread_getcpuclockid gives: CPUCLOCK_SCHED of that thread); none once
// the thread is gone.
std::optional<uint64_t> thread_cpu_ns(pid_t tid) {
    constexpr clockid_t kPerThreadSchedClock = 2 | 4;
    const clockid_t clock = clockid_t(~clockid_t(tid) * 8) | kPerThreadSchedClock;
    struct timespec t;
    if (tid <= 0 || clock_gettime(clock, &t) != 0) return std::nullopt;
    return uint64_t(t.tv_sec) * 1000000000u + uint64_t(t.tv_nsec);
}

struct timespec as_timespec(uint64_t ns) {
    return {time_t(ns / 1000000000u), long(ns % 1000000000u)};
}

int interrupt_signo() { return Sandbox::interrupt_signal().signo; }

void install_interrupt_handler() {
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_sigaction = vx_interrupt_signal_entry;
    // No SA_RESTART: a blocking host call returns EINTR, and whoever made it
    // sees the request.
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(interrupt_signo(), &action, nullptr);
}

}  // namespace

RunControl::RunControl(const EngineLimits& limits) : limits_(limits) {
    // Installed with the first sandbox: from then on, the interrupt signal
    // another process sends stops sandboxes instead of ending this process.
    static std::once_flag once;
    std::call_once(once, install_interrupt_handler);
    slot_ = take_slot(this);
    if (slot_ < 0)
        throw Error("too many sandboxes at once: this process holds " + std::to_string(kSlots) +
                    ", the most it may");
    generation_ = slot_generations[slot_].fetch_add(1, std::memory_order_acq_rel) + 1;
}

RunControl::~RunControl() {
    delete_timers();
    slots[slot_].store(nullptr, std::memory_order_seq_cst);
    // A handler on another thread that found us before the store is done
    // with us only when it leaves the slot (one on this thread, interrupting
    // the loop, has left before the loop goes on).
    while (slot_users[slot_].load(std::memory_order_acquire) != 0) sched_yield();
    slot_given_back.store(slot_, std::memory_order_release);
}

void RunControl::on_timer_signal(int value) {
    const int slot = (value >> kRequestBits) % kSlots;
    const uint32_t generation = uint32_t(value) >> (kSlotBits + kRequestBits);
    with_control_in(slot, generation, [value](RunControl& control) {
        control.request(uint32_t(value) % (1u << kRequestBits));
    });
}

void RunControl::interrupt_all() {
    for (int i = 0, end = slots_end.load(std::memory_order_acquire); i < end; ++i)
        with_control_in(i, std::nullopt, [](RunControl& control) { control.request(kInterrupt); });
}

void RunControl::request(uint32_t what) {
    requests_.fetch_or(what, std::memory_order_seq_cst);
    if (Engine* engine = engine_.load(std::memory_order_acquire)) engine->stop_soon(nullptr);
    // What the request and the engine's stop_soon stored, before the look at
    // which thread runs the guest: that thread published itself before its
    // engine looks (enter_guest), so either the engine sees the stop or the
    // thread is signalled.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    pid_t tid = running_tid_.load(std::memory_order_seq_cst);
    if (tid && tid != this_thread_id) syscall(SYS_tgkill, getpid(), tid, interrupt_signo());
}

std::optional<Event> RunControl::take_stop() {
    uint32_t requests = requests_.exchange(0, std::memory_order_acq_rel);
    // A timer's signal may come from a deadline since moved later; and only
    // a time limit that is set and reached stops the guest, whatever signal
    // said otherwise.
    const uint64_t cpu = cpu_time_ns(), wall = wall_time_ns();
    const bool cpu_limit = limits_.cpu_time_ns && cpu >= *limits_.cpu_time_ns;
    const bool wall_limit = limits_.wall_time_ns && wall >= *limits_.wall_time_ns;
    const bool call_cpu = call_.cpu_at && cpu >= *call_.cpu_at;
    const bool call_wall = call_.wall_at && clock_ns(CLOCK_MONOTONIC) >= *call_.wall_at;
    const bool cpu_stop = (requests & kCpuTime) && (cpu_limit || call_cpu);
    const bool wall_stop = (requests & kWallTime) && (wall_limit || call_wall);
    if ((cpu_stop && cpu_limit) || (wall_stop && wall_limit)) {
        if (!breach_) {
            breach_ = (cpu_stop && cpu_limit) ? LimitExceeded{Limit::CpuTime, cpu, *limits_.cpu_time_ns}
                                              : LimitExceeded{Limit::WallTime, wall, *limits_.wall_time_ns};
        }
        Event event{EventKind::LimitExceeded};
        event.limit_exceeded = *breach_;
        return event;
    }
    if (cpu_stop || wall_stop) {
        // The call's own limit: it ends the call, and the sandbox goes on.
        Event event{EventKind::LimitExceeded};
        event.limit_exceeded =
            cpu_stop ? LimitExceeded{Limit::CpuTime, cpu - (*call_.cpu_at - *call_.cpu_budget), *call_.cpu_budget, true}
                     : LimitExceeded{Limit::WallTime, clock_ns(CLOCK_MONOTONIC) - (*call_.wall_at - *call_.wall_budget),
                                     *call_.wall_budget, true};
        return event;
    }
    if (requests & kInterrupt) return Event{EventKind::Interrupted};
    return std::nullopt;
}

RunControl::CallWindow RunControl::begin_call(std::optional<uint64_t> cpu_ns, std::optional<uint64_t> wall_ns) noexcept {
    const CallWindow outer = call_;
    if (!cpu_ns && !wall_ns) return outer;
    // The call runs on this thread: its window starts from the CPU time
    // counted here, with what another thread used before folded in.
    if (started_) {
        try {
            const uint64_t serial = current_thread_serial();
            if (thread_serial_ != serial) take_over_thread(serial);
        } catch (const Error&) {
            request(kInterrupt);  // no timer (or no signal stack): stopped, rather than unbounded
        }
    }
    // Past 2^64 ns is never (a host may say "no limit" with the largest).
    auto after = [](uint64_t now, uint64_t span) { return span > UINT64_MAX - now ? UINT64_MAX : now + span; };
    if (cpu_ns) {
        const uint64_t at = after(cpu_time_ns(), *cpu_ns);
        if (!call_.cpu_at || at < *call_.cpu_at) call_.cpu_at = at, call_.cpu_budget = cpu_ns;
    }
    if (wall_ns) {
        const uint64_t at = after(clock_ns(CLOCK_MONOTONIC), *wall_ns);
        if (!call_.wall_at || at < *call_.wall_at) call_.wall_at = at, call_.wall_budget = wall_ns;
    }
    rearm_timers_here();
    return outer;
}

void RunControl::end_call(const CallWindow& outer) noexcept {
    // Armed again whenever a window was open: the timers go off once, and a
    // nested call may have taken the stop of the window around it (then the
    // outer call stops at once), or of the sandbox's own limit.
    const bool windows = call_.cpu_at || call_.wall_at;
    call_ = outer;
    if (windows) rearm_timers_here();
}

void RunControl::restart(const EngineLimits& limits) noexcept {
    delete_timers();
    limits_.cpu_time_ns = limits.cpu_time_ns;
    limits_.wall_time_ns = limits.wall_time_ns;
    breach_.reset();
    call_ = {};
    started_ = false;
    cpu_before_ns_ = 0;
    thread_cpu_start_ns_ = 0;
    thread_serial_ = 0;  // the next enter_guest takes the thread over, and starts the clocks
    thread_tid_ = 0;
    requests_.fetch_and(kInterrupt, std::memory_order_acq_rel);
}

std::optional<uint64_t> RunControl::cpu_deadline() const {
    if (limits_.cpu_time_ns && call_.cpu_at) return std::min(*limits_.cpu_time_ns, *call_.cpu_at);
    return limits_.cpu_time_ns ? limits_.cpu_time_ns : call_.cpu_at;
}

std::optional<uint64_t> RunControl::wall_deadline() const {
    std::optional<uint64_t> sandbox;
    if (limits_.wall_time_ns && started_) sandbox = wall_start_ns_ + *limits_.wall_time_ns;
    if (sandbox && call_.wall_at) return std::min(*sandbox, *call_.wall_at);
    return sandbox ? sandbox : call_.wall_at;
}

void RunControl::enter_guest() {
    const uint64_t serial = current_thread_serial();
    if (serial != thread_serial_) [[unlikely]] take_over_thread(serial);
    running_here = this;
    // Ordered before the engine's look at a stop: a request either is seen
    // there or sees this thread and signals it.
    running_tid_.store(this_thread_id, std::memory_order_seq_cst);
}

void RunControl::leave_guest() {
    running_tid_.store(0, std::memory_order_release);
    running_here = nullptr;
}

void RunControl::take_over_thread(uint64_t serial) {
    if (!started_) {
        started_ = true;
        wall_start_ns_ = clock_ns(CLOCK_MONOTONIC);
    } else if (thread_serial_ != 0) {
        // What the old thread used (its timer, or its clock); after a fork
        // (serial 0) the parent's total was kept.
        cpu_before_ns_ = cpu_time_ns();
    }
    thread_cpu_start_ns_ = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    thread_serial_ = serial;
    thread_tid_ = this_thread_id;
    arm_timers();
}

long RunControl::blocking_host_call(long number, const std::array<long, 6>& args) {
    if (limit_exceeded()) return -EINTR;
    current_thread_serial();
    // As enter_guest: either the look in vx_interruptible_syscall sees a
    // request, or the request sees this thread and signals it.
    running_tid_.store(this_thread_id, std::memory_order_seq_cst);
    static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) && std::atomic<uint32_t>::is_always_lock_free);
    long result = vx_interruptible_syscall(reinterpret_cast<const uint32_t*>(&requests_), number, args.data());
    running_tid_.store(0, std::memory_order_release);
    return result;
}

uint64_t RunControl::cpu_time_ns() const {
    if (!started_) return 0;
    if (cpu_timer_ && thread_serial_ != this_thread_serial) {
        // Asked from another thread: the timer knows what is left.
        struct itimerspec left;
        timer_gettime(*cpu_timer_, &left);
        uint64_t remaining = uint64_t(left.it_value.tv_sec) * 1000000000u + uint64_t(left.it_value.tv_nsec);
        return cpu_timer_at_ > remaining ? cpu_timer_at_ - remaining : 0;
    }
    // The thread that ran it last: this one, or another while it lives
    // (once it is gone, what it used since it took over is not known and
    // not counted; with a CPU limit its timer knows, above).
    const std::optional<uint64_t> now = thread_serial_ == this_thread_serial
                                            ? std::optional<uint64_t>(clock_ns(CLOCK_THREAD_CPUTIME_ID))
                                            : thread_cpu_ns(thread_tid_);
    return cpu_before_ns_ + (now && *now > thread_cpu_start_ns_ ? *now - thread_cpu_start_ns_ : 0);
}

uint64_t RunControl::wall_time_ns() const { return started_ ? clock_ns(CLOCK_MONOTONIC) - wall_start_ns_ : 0; }

void RunControl::set_cpu_time_limit(uint64_t ns) {
    limits_.cpu_time_ns = ns;
    if (breach_ && breach_->limit == Limit::CpuTime && breach_->used < ns) breach_.reset();
    rearm_timers_here();
}

void RunControl::rearm_timers_here() noexcept {
    // Before the first run, or on a thread it has not armed for yet (after
    // a fork), enter_guest arms them.
    if (!started_ || thread_serial_ != this_thread_serial || thread_serial_ == 0) return;
    cpu_before_ns_ = cpu_time_ns();
    thread_cpu_start_ns_ = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    try {
        arm_timers();
    } catch (const Error&) {
        // The host refused a timer (RLIMIT_SIGPENDING, say): the guest is
        // stopped rather than left without its limits.
        request(kInterrupt);
    }
}

void RunControl::arm_cpu_timer(uint64_t used) {
    const uint64_t at = *cpu_deadline();
    if (used >= at) {
        request(kCpuTime);
        return;
    }
    cpu_timer_ = make_timer(CLOCK_THREAD_CPUTIME_ID, kCpuTime);
    cpu_timer_at_ = at;
    struct itimerspec when{};
    when.it_value = as_timespec(at - used);
    timer_settime(*cpu_timer_, 0, &when, nullptr);
}

timer_t RunControl::make_timer(clockid_t clock, uint32_t what) {
    struct sigevent event;
    std::memset(&event, 0, sizeof event);
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = interrupt_signo();
    event._sigev_un._tid = this_thread_id;
    event.sigev_value.sival_int = timer_value(slot_, generation_, what);
    timer_t timer;
    if (timer_create(clock, &event, &timer) != 0)
        throw Error(std::string("cannot create a timer for the time limits: ") + strerror(errno));
    return timer;
}

void RunControl::arm_timers() {
    delete_timers();
    if (cpu_deadline()) arm_cpu_timer(cpu_before_ns_);
    if (const auto at = wall_deadline()) {
        wall_timer_ = make_timer(CLOCK_MONOTONIC, kWallTime);
        struct itimerspec when{};
        when.it_value = as_timespec(*at);
        timer_settime(*wall_timer_, TIMER_ABSTIME, &when, nullptr);
    }
}

void RunControl::delete_timers() {
    if (cpu_timer_) timer_delete(*cpu_timer_);
    if (wall_timer_) timer_delete(*wall_timer_);
    cpu_timer_.reset();
    wall_timer_.reset();
}

void RunControl::prepare_fork() { cpu_at_fork_ns_ = cpu_time_ns(); }

void RunControl::finish_fork(bool in_child) {
    if (!started_ || !in_child) return;
    // The child's only thread: no timers, a thread id of its own.
    cpu_before_ns_ = cpu_at_fork_ns_;
    thread_cpu_start_ns_ = clock_ns(CLOCK_THREAD_CPUTIME_ID);  // the child's thread clock starts anew
    cpu_timer_.reset();
    wall_timer_.reset();
    this_thread_serial = 0;
    thread_serial_ = 0;
    thread_tid_ = 0;
    running_tid_.store(0);
}

std::vector<long> RunControl::host_calls() {
    return {
        SYS_rt_sigaction, SYS_rt_sigreturn, SYS_sigaltstack,  // the interrupt signal's handler
        SYS_gettid, SYS_tgkill,  // a request signals the thread running the guest
        SYS_timer_create, SYS_timer_settime, SYS_timer_gettime, SYS_timer_delete,  // the time limits
        SYS_clock_gettime,  // a thread's CPU time (no vDSO shortcut for it)
    };
}

// A time limit's timer, interrupt() from another thread, or the interrupt
// signal from another process. Entered through vx_interrupt_signal_entry.
void on_interrupt_signal(siginfo_t* info, void* uc) {
    if (info->si_code == SI_TIMER) {
        RunControl::on_timer_signal(info->si_value.sival_int);
    } else if (info->si_code == SI_QUEUE && info->si_value.sival_int == Sandbox::interrupt_signal().value) {
        RunControl::interrupt_all();  // from another process (Sandbox::interrupt_signal)
    }
    greg_t* g = static_cast<ucontext_t*>(uc)->uc_mcontext.gregs;
    const auto pc = uint64_t(g[REG_RIP]);
    if (pc >= uint64_t(vx_interruptible_syscall_look) && pc <= uint64_t(vx_interruptible_syscall_insn) &&
        *reinterpret_cast<const volatile uint32_t*>(g[REG_RBX]) != 0) {
        g[REG_RIP] = reinterpret_cast<greg_t>(&vx_interruptible_syscall_stopped);  // about to block: it does not
    } else if (RunControl* control = running_here; control && control->pending()) {
        if (Engine* engine = control->engine_.load(std::memory_order_acquire)) engine->stop_soon(uc);
    }
}

}  // namespace vx

extern "C" void vx_on_interrupt_signal(int, siginfo_t* info, void* uc) {
    int saved_errno = errno;
    vx::on_interrupt_signal(info, uc);
    errno = saved_errno;
}
