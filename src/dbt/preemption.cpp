#include "dbt/preemption.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include "dbt/runtime_context.h"
#include "vx/error.h"
#include "vx/sandbox.h"

namespace vx::dbt {
namespace {

// Timer signals carry a slot here (and what they stop for), not a pointer:
// a signal still queued when its sandbox is gone finds an empty slot.
constexpr int kSlots = 4096;
std::atomic<Preemption*> slots[kSlots];

std::atomic<uint64_t> thread_serials{0};
thread_local uint64_t this_thread_serial = 0;
thread_local pid_t this_thread_id = 0;

uint64_t current_thread_serial() {
    if (!this_thread_serial) {
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

struct timespec as_timespec(uint64_t ns) {
    return {time_t(ns / 1000000000u), long(ns % 1000000000u)};
}

}  // namespace

int preemption_signal() { return Sandbox::interrupt_signal().signo; }
int interrupt_all_value() { return Sandbox::interrupt_signal().value; }

Preemption* preemption_in_slot(int slot) {
    return slot >= 0 && slot < kSlots ? slots[slot].load(std::memory_order_acquire) : nullptr;
}

void interrupt_all() {
    for (int i = 0; i < kSlots; ++i)
        if (Preemption* preemption = slots[i].load(std::memory_order_acquire)) preemption->request(kStopInterrupt);
}

Preemption::Preemption(std::atomic<uint32_t>& requests, uint8_t* fuel_window, size_t fuel_window_size,
                       const EngineLimits& limits)
    : requests_(requests), fuel_window_(fuel_window), fuel_window_size_(fuel_window_size), limits_(limits) {
    requests_.store(0);
    for (int i = 0; i < kSlots && slot_ < 0; ++i) {
        Preemption* empty = nullptr;
        if (slots[i].compare_exchange_strong(empty, this)) slot_ = i;
    }
    if (slot_ < 0) throw Error("too many sandboxes at once");
}

Preemption::~Preemption() {
    delete_timers();
    if (slot_ >= 0) slots[slot_].store(nullptr, std::memory_order_release);
}

void Preemption::request(uint32_t what) {
    requests_.fetch_or(what, std::memory_order_seq_cst);
    set_fuel_window(PROT_NONE);
    pid_t tid = running_tid_.load(std::memory_order_seq_cst);
    if (tid && tid != this_thread_id) syscall(SYS_tgkill, getpid(), tid, preemption_signal());
}

uint32_t Preemption::take() {
    uint32_t taken = requests_.exchange(0, std::memory_order_acq_rel);
    set_fuel_window(PROT_READ);
    return taken;
}

void Preemption::set_fuel_window(int prot) {
    if (fuel_window_) mprotect(fuel_window_, fuel_window_size_, prot);
}

void Preemption::enter_guest() {
    uint64_t serial = current_thread_serial();
    if (!started_) {
        started_ = true;
        wall_start_ns_ = clock_ns(CLOCK_MONOTONIC);
        thread_cpu_start_ns_ = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        thread_serial_ = serial;
        arm_timers();
    } else if (serial != thread_serial_) {
        // Only the CPU timer still knows what the old thread used; after a
        // fork (serial 0) the parent's total was kept.
        if (thread_serial_ != 0 && cpu_timer_) cpu_before_ns_ = cpu_time_ns();
        thread_cpu_start_ns_ = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        thread_serial_ = serial;
        arm_timers();
    }
    // Ordered before vx_dbt_enter's look at the requests: a request either
    // is seen there or sees this thread and signals it.
    running_tid_.store(this_thread_id, std::memory_order_seq_cst);
}

long Preemption::blocking_call(long number, const long* args) {
    current_thread_serial();
    // As enter_guest: either the look in vx_dbt_blocking_syscall sees a
    // request, or the request sees this thread and signals it.
    running_tid_.store(this_thread_id, std::memory_order_seq_cst);
    static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
    long result = vx_dbt_blocking_syscall(reinterpret_cast<const uint32_t*>(&requests_), number, args);
    running_tid_.store(0, std::memory_order_release);
    return result;
}

void Preemption::leave_guest() { running_tid_.store(0, std::memory_order_release); }

uint64_t Preemption::cpu_time_ns() const {
    if (!started_) return 0;
    if (cpu_timer_ && thread_serial_ != this_thread_serial) {
        // Asked from another thread: the timer knows what is left.
        struct itimerspec left;
        timer_gettime(*cpu_timer_, &left);
        uint64_t remaining = uint64_t(left.it_value.tv_sec) * 1000000000u + uint64_t(left.it_value.tv_nsec);
        return *limits_.cpu_time_ns > remaining ? *limits_.cpu_time_ns - remaining : 0;
    }
    return cpu_before_ns_ + (clock_ns(CLOCK_THREAD_CPUTIME_ID) - thread_cpu_start_ns_);
}

void Preemption::set_cpu_time_limit(uint64_t ns) {
    limits_.cpu_time_ns = ns;
    // Before the first run, or on a thread it has not armed for yet (after
    // a fork), enter_guest arms it.
    if (!started_ || thread_serial_ != this_thread_serial || thread_serial_ == 0) return;
    uint64_t used = cpu_time_ns();
    if (cpu_timer_) timer_delete(*cpu_timer_);
    cpu_timer_.reset();
    if (used >= ns) {
        request(kStopCpuTime);
        return;
    }
    cpu_timer_ = make_timer(CLOCK_THREAD_CPUTIME_ID, kStopCpuTime);
    struct itimerspec when{};
    when.it_value = as_timespec(ns - used);
    timer_settime(*cpu_timer_, 0, &when, nullptr);
}

uint64_t Preemption::wall_time_ns() const { return started_ ? clock_ns(CLOCK_MONOTONIC) - wall_start_ns_ : 0; }

timer_t Preemption::make_timer(clockid_t clock, uint32_t what) {
    struct sigevent event;
    std::memset(&event, 0, sizeof event);
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = preemption_signal();
    event._sigev_un._tid = this_thread_id;
    event.sigev_value.sival_int = slot_ * 8 + int(what);
    timer_t timer;
    if (timer_create(clock, &event, &timer) != 0)
        throw Error(std::string("cannot create a timer for the time limits: ") + strerror(errno));
    return timer;
}

void Preemption::arm_timers() {
    delete_timers();
    if (limits_.cpu_time_ns) {
        uint64_t used = cpu_before_ns_;
        if (used >= *limits_.cpu_time_ns) {
            request(kStopCpuTime);
        } else {
            cpu_timer_ = make_timer(CLOCK_THREAD_CPUTIME_ID, kStopCpuTime);
            struct itimerspec when{};
            when.it_value = as_timespec(*limits_.cpu_time_ns - used);
            timer_settime(*cpu_timer_, 0, &when, nullptr);
        }
    }
    if (limits_.wall_time_ns) {
        wall_timer_ = make_timer(CLOCK_MONOTONIC, kStopWallTime);
        struct itimerspec when{};
        when.it_value = as_timespec(wall_start_ns_ + *limits_.wall_time_ns);
        timer_settime(*wall_timer_, TIMER_ABSTIME, &when, nullptr);
    }
}

void Preemption::delete_timers() {
    if (cpu_timer_) timer_delete(*cpu_timer_);
    if (wall_timer_) timer_delete(*wall_timer_);
    cpu_timer_.reset();
    wall_timer_.reset();
}

void Preemption::prepare_fork() { cpu_at_fork_ns_ = cpu_time_ns(); }

void Preemption::finish_fork(bool in_child) {
    if (!started_ || !in_child) return;
    // The child's only thread: no timers, a thread id of its own.
    cpu_before_ns_ = cpu_at_fork_ns_;
    thread_cpu_start_ns_ = clock_ns(CLOCK_THREAD_CPUTIME_ID);  // the child's thread clock starts anew
    cpu_timer_.reset();
    wall_timer_.reset();
    this_thread_serial = 0;
    thread_serial_ = 0;
    running_tid_.store(0);
}

}  // namespace vx::dbt
