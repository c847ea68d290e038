#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <sys/types.h>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vx/cpu_state.h"
#include "vx/elf_loader.h"
#include "vx/engine_options.h"
#include "vx/event.h"
#include "vx/guest_memory.h"
#include "vx/limits.h"
#include "vx/registers.h"
#include "vx/segment_descriptors.h"

namespace vx {

class Engine;
struct KeptSandbox;
class HostFunctions;
class RunControl;
class Snapshot;

// Host memory a sandbox keeps, for audits: what it is, and where.
struct HostRegion {
    const char* what;
    uint64_t begin;
    uint64_t size;
    // Host-executable (PROT_READ | PROT_EXEC), mapped from a file so that a
    // forked child may map it again at the same place (fork_host_process).
    bool executable = false;
};

// What another host process sends to interrupt every sandbox of this one:
// signal `signo` carrying `value` (sigqueue, or pidfd_send_signal with a
// siginfo of code SI_QUEUE). Each sandbox then stops as interrupt() makes it;
// a blocking host call of the receiving process returns EINTR.
struct InterruptSignal {
    int signo;
    int value;
};

// The isolation engine that runs a sandbox's guest code.
enum class EngineKind {
    Dbt,  // binary translation to %gs-confined x86-64 (docs/dbt-engine.md)
};

const char* to_string(EngineKind engine);  // "dbt"
// The engines this build has that can run on this machine, best first.
std::vector<EngineKind> available_engines();
// The guest architectures `engine` runs (the dbt: i386).
std::vector<Arch> engine_arches(EngineKind engine);

struct SandboxOptions {
    EngineKind engine = EngineKind::Dbt;
    Arch arch = Arch::i386;               // the guest's; the engine must run it
    DbtOptions dbt = {};                  // read by the dbt engine only
    uint64_t memory_size = 512ull << 20;  // guest addresses 0 .. memory_size-1
    EngineLimits limits = {};             // none unless set
    FlatSelectors selectors = {};         // see set_selectors
    bool operator==(const SandboxOptions&) const = default;
};

// Where a function the host calls (Sandbox::call) returns to: an address in
// the lowest 64 KiB, which no program is loaded at (kLowestGuestMapping), so
// no guest code is ever there and fetching from it ends the call.
inline constexpr uint32_t kCallReturnAddress = kLowestGuestMapping - kPageSize;

// What a call into the guest (Sandbox::call) ended with.
struct CallResult {
    bool returned = false;  // the function returned: value holds what it left in edx:eax
    uint64_t value = 0;
    // When it did not return: what ended the call (a fault, a limit, an
    // interrupt, Exit, or an event the call's handler declined).
    Event event{};
    uint32_t eax() const { return uint32_t(value); }
};

// Given each event of a call (its registers are the sandbox's then): true when
// it has handled it (a system call answered in eax, say) and the function
// goes on from the registers as it left them; false ends the call with it.
using CallHandler = std::function<bool(const Event& event)>;

// What one call into the guest may spend, on top of the sandbox's own
// limits (unset: nothing of its own). A call that reaches one ends with a
// LimitExceeded event marked per_call, and the sandbox is not stopped: the
// next call may run. Nested calls are held by the calls around them too.
struct CallLimits {
    // Guest instructions; only in a sandbox that counts fuel (its limits give
    // some), whose fuel the call spends: the sandbox keeps what it did not.
    std::optional<uint64_t> instructions = {};
    std::optional<uint64_t> cpu_time_ns = {};
    std::optional<uint64_t> wall_time_ns = {};
};

// How a call into the guest (Sandbox::call) is made.
struct CallOptions {
    CallHandler on_event;  // none: every event ends the call
    CallLimits limits = {};
    // The functions the guest may call by name (host_functions.h); none: its
    // gates are refused. Borrowed for the call (the host owns its registry,
    // one for many calls and sandboxes): it must outlive the call.
    const HostFunctions* host_functions = nullptr;
};

// One guest: its memory, its registers and the engine that runs it. The
// sandbox never interprets what the guest asks for: run() returns an Event and
// the caller decides (services a syscall, reports a fault, ...), then may call
// run() again. Sandboxes are independent: several may live in one process and
// run on different threads at once (one thread per sandbox at a time).
class Sandbox {
public:
    // Throws Error when this build has no such engine, or when the engine
    // does not run guests of `options.arch`.
    explicit Sandbox(const SandboxOptions& options = {});
    // A sandbox run by an engine of the caller's (core's Engine interface):
    // `make_engine` is given the sandbox's memory and options, and throws
    // Error for options its engine cannot run (another arch).
    using EngineFactory = std::function<std::unique_ptr<Engine>(GuestMemory& memory, const SandboxOptions& options)>;
    Sandbox(const SandboxOptions& options, const EngineFactory& make_engine);
    // A sandbox restored from `snapshot` (see restore): with the options of
    // the sandbox it was taken from, or others of the same memory size.
    explicit Sandbox(const Snapshot& snapshot);
    Sandbox(const Snapshot& snapshot, const SandboxOptions& options);
    ~Sandbox();
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;

    GuestMemory& memory() { return *memory_; }
    const GuestMemory& memory() const { return *memory_; }
    // The guest's registers, of its architecture (SandboxOptions::arch):
    // the engine runs the guest from them and leaves them as the guest does.
    CpuState& cpu() { return cpu_; }
    const CpuState& cpu() const { return cpu_; }
    // An i386 guest's registers: cpu().i386(), which throws Error for a guest
    // of another arch.
    Registers& registers() { return cpu_.i386(); }

    // Loads a static i386 ELF executable in place of whatever the sandbox
    // held (an earlier program: its memory, registers, segments and
    // descriptors, the stack's grow-down region), as execve does; eip is
    // its entry, the other registers 0, and no stack is mapped: what the
    // program expects there is its personality's business (os/linux_i386:
    // load_program). Throws ElfError for a bad file, or in a sandbox of
    // another arch than i386, and then nothing has changed.
    ElfImage load_program(std::span<const uint8_t> file);
    // Throws ElfError for a file load_program would refuse, or whose image
    // reaches into the top `room_at_top` bytes of guest memory.
    void check_program(std::span<const uint8_t> file, uint32_t room_at_top = 0) const;

    // Runs the guest until it needs its host. Once finish() was called, it
    // returns an Exit event with that status and runs nothing; once a limit
    // was reached, a LimitExceeded event (fuel: until more is given).
    // A guest access to the stack's grow-down region is no event: the stack
    // grows (when admit_memory admits it) and the instruction runs again;
    // when it is not admitted, LimitExceeded. Throws Error, and runs
    // nothing, when cpu() was given another arch's registers.
    Event run();

    // Calls the guest function at `entry` with `args` as an i386 cdecl call
    // (docs/plugins.md) and runs the guest until it returns: the arguments
    // are pushed right to left below the guest's esp, aligned so that the
    // callee finds esp+4 a multiple of 16, then kCallReturnAddress, to which
    // the function returns. Each event on the way goes to `on_event` (none:
    // every event ends the call); Exit always ends it. The guest's calls of
    // `options.host_functions` are no events: each runs and the guest goes
    // on, or it is refused and the call ends with a HostCall event.
    // on_event and host functions may call call() again: that call runs
    // below the current esp. Whatever the end,
    // the guest's registers (general, x87/SSE/AVX, %fs and %gs) are put back
    // as they were before; its memory keeps what the call did to it. Throws
    // Error, having run nothing, for a guest not i386, when the stack below
    // esp is not writable guest memory for the arguments and the return
    // address, or when kCallReturnAddress's page is mapped, or with host
    // functions kHostGateBase's (then also if on_event or a host function
    // maps it).
    CallResult call(uint32_t entry, std::span<const uint32_t> args, const CallOptions& options);
    CallResult call(uint32_t entry, std::span<const uint32_t> args = {}, const CallHandler& on_event = {}) {
        return call(entry, args, CallOptions{.on_event = on_event, .limits = {}});
    }

    // Makes the guest stop soon with an Interrupted event, from any thread:
    // the running guest within microseconds, wherever its code is; a sandbox
    // not running, at its next run().
    void interrupt();

    // Whether run() would stop now rather than run the guest: interrupt()
    // was called, a time limit or another limit was reached.
    bool stop_pending() const;
    // A host system call that may block for long (a read of a pipe, a wait
    // for a child, a sleep, ...), made so that what stops run() also ends it,
    // from any thread: -EINTR, without making it, when a stop is pending, or
    // when one comes while it blocks (then stop_pending() says so). Else what
    // the call returns, or -errno.
    long blocking_host_call(long number, long a0 = 0, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0,
                            long a5 = 0);

    // Fuel: guest instructions left to run (only when the limits gave some).
    // Each completed instruction costs one, a rep-prefixed string instruction
    // one whatever its count; at 0 run() stops with LimitExceeded before the
    // next instruction. Giving more clears that, and the guest goes on.
    std::optional<uint64_t> fuel() const;
    void add_fuel(uint64_t instructions);
    // Takes back the fuel not spent yet (the guest stops at its next block
    // until more is given) and returns how much it was: to share one budget
    // among several sandboxes.
    uint64_t take_fuel();
    // Moves the CPU-time limit (only for a sandbox whose limits gave one) to
    // `ns` of CPU in all: a CpuTime limit reached below `ns` is cleared and
    // the guest goes on; one already used up stops it at once. A budget
    // shared among sandboxes is given to each in slices this way.
    void set_cpu_time_limit(uint64_t ns);
    // For a new tenant of a sandbox used before (SandboxPool): CPU and wall
    // time count from zero again, the time limits are `limits`' (also those
    // set_cpu_time_limit moved), and one reached no longer holds. A pending
    // interrupt() stays.
    void restart_clocks(const EngineLimits& limits);
    // See InterruptSignal.
    static InterruptSignal interrupt_signal();

    // A limit the host enforces (output, file sizes, ...) was reached: run()
    // stops with it from now on. The first one reported is the one kept.
    void exceed(const LimitExceeded& breach);
    // Whether `bytes` more of guest memory stay within the memory limit,
    // beside what the sandbox costs and `elsewhere` (what others that share
    // the limit cost, such as the guest's other processes). When they would
    // not, the limit is reached (as exceed) and they must not be mapped.
    bool admit_memory(uint64_t bytes, uint64_t elsewhere = 0);
    // How the sandbox admits memory it takes without being asked (the
    // stack's growth, pages a fork shared becoming its own when written,
    // the engine's translations): by default admit_memory
    // with nothing elsewhere; whoever runs it beside others that share the
    // limit sets what counts them (and says what this one takes); nullptr
    // puts the default back.
    void set_memory_admission(std::function<bool(uint64_t bytes)> admit);
    // Bytes of host memory the guest costs now, as the memory limit counts them.
    uint64_t memory_in_use() const;
    // The limit the host reported (exceed()) or the host mappings reached,
    // if one was: those that stop the guest for good. A time limit, the
    // memory limit or fuel the engine reached are in run()'s events (and
    // stop_pending()).
    std::optional<LimitExceeded> limit_exceeded() const;
    const EngineLimits& limits() const { return options_.limits; }
    Usage usage() const;

    // Marks the guest as gone (whoever services its exit call says so); its
    // memory and registers stay inspectable.
    void finish(int exit_status) { exit_status_ = exit_status; }
    bool finished() const { return exit_status_.has_value(); }

    // What %fs or %gs hold for the guest: the selector it reads back and the
    // base its accesses through the register add, set as they are, whatever
    // the descriptors say.
    void set_segment(SegmentRegister segment, uint16_t selector, uint32_t base);

    // The segment descriptors the host defines for its guest (see
    // SegmentDescriptors; Linux: set_thread_area's TLS entries): what the
    // guest's own loads of %fs and %gs may name; a load of anything else
    // faults (GeneralProtection). set_descriptor is false, changing nothing,
    // for an index no selector names. As on a CPU, %fs and %gs keep the base
    // they were loaded with when their entry changes: whoever changes it
    // loads them again where its ABI says so (Linux does).
    bool set_descriptor(unsigned index, uint32_t base);
    void clear_descriptor(unsigned index);
    const SegmentDescriptors& descriptors() const { return descriptors_; }
    // Loads `selector` into %fs or %gs as the guest's own load would
    // (SegmentDescriptors::resolve): false, changing nothing, for one the
    // CPU refuses.
    bool load_segment(SegmentRegister segment, uint16_t selector);

    // What the guest reads from cs and from ds, es and ss (a personality's
    // ABI: Linux's for its programs); kept in snapshots.
    void set_selectors(const FlatSelectors& selectors);
    const FlatSelectors& selectors() const { return options_.selectors; }

    // The guest's x87, SSE and AVX registers as an XSAVE image (standard
    // format, as the CPU lays it out). Setting refuses (returns false, and
    // changes nothing) an image of another size or one the CPU would reject.
    std::vector<uint8_t> extended_state() const;
    bool set_extended_state(std::span<const uint8_t> image);

    // What %fs or %gs hold now.
    Segment segment(SegmentRegister segment) const;

    // Snapshots (see vx::Snapshot and docs/snapshots.md): an image of the
    // guest now, and the guest made that image's again. restore throws
    // vx::Error, and changes nothing, for a snapshot of another memory size
    // or arch,
    // one whose memory would make more host mappings than this sandbox may,
    // one whose shared pages alone pass its memory limit, or one that counts
    // fuel when this sandbox counts none. What the sandbox spent stays its
    // own: CPU and wall time and their limits, usage; a limit the old
    // guest's state reached (memory, host mappings) no longer holds. When the
    // host refuses a mapping on the way (ENOMEM), it throws vx::Error and
    // the sandbox has no guest memory left: run() reports the host mappings
    // limit until a restore succeeds. Neither may be called while the guest
    // runs.
    std::shared_ptr<const Snapshot> snapshot() const;
    void restore(const Snapshot& snapshot);

    // Forks the host process, as fork() does (the child's pid, 0 in the
    // child, -1 with errno): the child's sandbox is a copy of this one that
    // shares nothing with it, so each guest goes on on its own. The calling
    // thread is the only one in the child, as with any fork.
    pid_t fork_host_process();

    // The host system calls (x86-64 numbers) the engine makes while the guest
    // runs, whoever drives it, with any arguments: a seccomp filter a host
    // puts on itself around a sandbox must allow them beside its own (and
    // mmap, munmap, mprotect without PROT_EXEC, which the engine also makes).
    std::vector<long> host_calls() const;

    // The guest instruction at `eip` as assembly ("imul eax, [ebx]"), or
    // why there is none to show ("(instruction not readable)",
    // "(undecodable: 0f 0b ...)"): to tell people where a guest faulted.
    std::string describe_instruction(uint32_t eip) const;

    // The host memory this sandbox consists of: the guest's reservation
    // (every address its code can form) and the engine's own data, which
    // lies outside it, between guard pages.
    std::vector<HostRegion> host_regions() const;

private:
    class CallBudget;
    // What its guest memory and engine are made of: new ones, or a kept
    // sandbox's (Snapshot::keep_sandboxes).
    Sandbox(const SandboxOptions& options, KeptSandbox&& parts);
    static KeptSandbox make_parts(const SandboxOptions& options, const EngineFactory& make_engine);
    // Made from a snapshot: from a sandbox it keeps, or new parts.
    Sandbox(const Snapshot& snapshot, const SandboxOptions& options, const EngineFactory& make_engine);
    // At its end, for a sandbox made from a snapshot that keeps sandboxes:
    // reset to it and kept, when it can be.
    void keep_in(const Snapshot& snapshot) noexcept;
    void give_limits_fuel_unless_in(const Snapshot& snapshot);
    SandboxOptions made_with_;
    std::weak_ptr<const Snapshot> made_from_;
    SandboxOptions options_;
    std::unique_ptr<GuestMemory> memory_;
    std::unique_ptr<RunControl> run_control_;  // stopping the guest: interrupt(), the time limits
    std::unique_ptr<Engine> engine_;
    CpuState cpu_;
    SegmentDescriptors descriptors_;
    std::optional<int> exit_status_;
    std::optional<LimitExceeded> host_breach_;
    // What each call (call()) in progress puts back of the extended state
    // (a deque: a nested call's image does not move an outer one's), and
    // the engine's extended_state_version when it was the state (none:
    // not known to be).
    struct CallExtendedState {
        std::vector<uint8_t> image;
        std::optional<uint64_t> version;
    };
    std::deque<CallExtendedState> call_extended_states_;
    size_t call_depth_ = 0;
};

}  // namespace vx
