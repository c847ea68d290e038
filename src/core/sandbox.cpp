#include "vx/sandbox.h"

#include "core/engine.h"
#include "core/kept_sandboxes.h"
#include "core/run_control.h"
#include "vx/snapshot.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace vx {

KeptSandbox Sandbox::make_parts(const SandboxOptions& options, const EngineFactory& make_engine) {
    KeptSandbox parts;
    parts.made_with = options;
    parts.memory = std::make_unique<GuestMemory>(options.memory_size, options.limits.host_mappings);
    parts.engine = make_engine(*parts.memory, options);
    parts.selectors = options.selectors;
    if (!parts.engine) throw Error("no engine was made for the sandbox");
    return parts;
}

Sandbox::Sandbox(const SandboxOptions& options, const EngineFactory& make_engine)
    : Sandbox(options, make_parts(options, make_engine)) {}

// (The parts are taken once nothing else can throw: should the run control
// be refused, the engine goes before the memory it refers to, as `parts`
// destroys them.)
Sandbox::Sandbox(const SandboxOptions& options, KeptSandbox&& parts)
    : made_with_(parts.made_with),
      options_(options),
      run_control_(std::make_unique<RunControl>(options.limits)),
      cpu_(options.arch),
      descriptors_(parts.descriptors) {
    memory_ = std::move(parts.memory);
    engine_ = std::move(parts.engine);
    options_.selectors = parts.selectors;  // the engine's, until the caller sets others
    run_control_->attach(engine_.get());
    set_memory_admission(nullptr);
}

Sandbox::Sandbox(const Snapshot& snapshot, const SandboxOptions& options, const EngineFactory& make_engine)
    : Sandbox(options, [&] {
          std::optional<KeptSandbox> kept = snapshot.kept_->take(options);
          return kept ? std::move(*kept) : make_parts(options, make_engine);
      }()) {
    made_from_ = snapshot.weak_from_this();
    restore(snapshot);
    // A new sandbox's fuel and counts, whatever the parts did before.
    give_limits_fuel_unless_in(snapshot);
    engine_->restart_usage();
    memory_->restart_host_mappings_peak();
}

// Fuel a snapshot does not give (a restore leaves it as it was): the limits'
// own, as a new sandbox starts with.
void Sandbox::give_limits_fuel_unless_in(const Snapshot& snapshot) {
    if (!engine_->fuel() || snapshot.fuel()) return;
    engine_->take_fuel();
    engine_->add_fuel(*made_with_.limits.instructions);
}

// Requests no longer reach the engine once it starts going.
Sandbox::~Sandbox() {
    run_control_->attach(nullptr);
    if (std::shared_ptr<const Snapshot> snapshot = made_from_.lock()) keep_in(*snapshot);
}

// As a pool resets a sandbox between tenants (sandbox_pool.cpp), with the
// hooks of whoever drove it taken off first.
void Sandbox::keep_in(const Snapshot& snapshot) noexcept {
    if (call_depth_ || !snapshot.kept_->wants_one()) return;
    try {
        memory_->set_admission([](uint64_t) { return true; });
        memory_->set_copy_release(nullptr);
        restore(snapshot);
        give_limits_fuel_unless_in(snapshot);
        // (A limit the host reported, or a time limit, is this sandbox's,
        // not its parts'; a reset clears those of memory and fuel.)
        if (memory_->host_mapping_breach() || run_control_->pending() || engine_->limit_reached()) return;
        snapshot.kept_->give(KeptSandbox{.made_with = made_with_,
                                         .memory = std::move(memory_),
                                         .engine = std::move(engine_),
                                         .descriptors = descriptors_,
                                         .selectors = options_.selectors,
                                         .fork_generation = 0});
    } catch (...) {
        // Not kept: destroyed as any other.
    }
}

void Sandbox::set_memory_admission(std::function<bool(uint64_t bytes)> admit) {
    if (!admit) admit = [this](uint64_t bytes) { return admit_memory(bytes); };
    memory_->set_admission(std::move(admit));
}


ElfImage Sandbox::load_program(std::span<const uint8_t> file) {
    check_program(file);
    if (!memory_->unmap(0, memory_->size())) throw Error("cannot unmap the guest's memory");
    memory_->set_grow_down(0, 0);
    set_segment(SegmentRegister::fs, 0, 0);
    set_segment(SegmentRegister::gs, 0, 0);
    if (!descriptors_.entries().empty()) {
        descriptors_ = {};
        engine_->set_descriptors(descriptors_);
    }
    ElfImage image = load_elf(*memory_, file);
    cpu_ = Registers{.eip = image.entry};
    exit_status_.reset();
    return image;
}

void Sandbox::check_program(std::span<const uint8_t> file, uint32_t room_at_top) const {
    if (options_.arch != Arch::i386)
        throw ElfError(std::string("an i386 program cannot be loaded into an ") + to_string(options_.arch) +
                       " sandbox");
    if (room_at_top >= memory_->size()) throw Error("no guest memory is left for a program");
    check_elf(file, uint32_t(memory_->size() - room_at_top));
}

Event Sandbox::run() {
    if (cpu_.arch() != options_.arch)
        throw Error(std::string("the sandbox runs ") + to_string(options_.arch) + " guests, and was given " +
                    to_string(cpu_.arch()) + " registers");
    for (;;) {
        if (exit_status_) return Event{EventKind::Exit, {}, *exit_status_};
        if (auto breach = limit_exceeded()) {
            Event event{EventKind::LimitExceeded};
            event.limit_exceeded = *breach;
            return event;
        }
        if (const auto& breach = run_control_->limit_exceeded()) {
            Event event{EventKind::LimitExceeded};
            event.limit_exceeded = *breach;
            return event;
        }
        Event event = [&] {
            RunControl::Running running(*run_control_);
            return engine_->run(cpu_);
        }();
        // The engine stopped for a request: what for is decided here, once for
        // every engine (nothing left: a CPU timer's deadline was moved since).
        if (event.kind == EventKind::Interrupted) {
            if (auto stop = run_control_->take_stop()) return *stop;
            continue;
        }
        // Memory the sandbox took while the guest ran, refused: the engine
        // stopped for it (a write that did not happen, or a limit of its
        // own), and what the admission found is reported (above).
        if ((event.kind == EventKind::Fault || event.kind == EventKind::LimitExceeded) && limit_exceeded()) continue;
        // The engine's faults are precise (registers as before the faulting
        // instruction, eip at it): once the stack grew, it runs again. A
        // refused growth is the memory limit reached (seen above).
        if (event.kind != EventKind::Fault || event.fault.kind != FaultKind::PageFault || !event.fault.address ||
            memory_->grow_down_to(*event.fault.address) == GuestMemory::Growth::None)
            return event;
    }
}

bool Sandbox::stop_pending() const {
    return limit_exceeded() || run_control_->pending() || run_control_->limit_exceeded() || engine_->limit_reached();
}

long Sandbox::blocking_host_call(long number, long a0, long a1, long a2, long a3, long a4, long a5) {
    if (limit_exceeded()) return -EINTR;
    return run_control_->blocking_host_call(number, {a0, a1, a2, a3, a4, a5});
}

void Sandbox::interrupt() { run_control_->request(RunControl::kInterrupt); }
std::optional<uint64_t> Sandbox::fuel() const { return engine_->fuel(); }
void Sandbox::add_fuel(uint64_t instructions) { engine_->add_fuel(instructions); }
uint64_t Sandbox::take_fuel() { return engine_->take_fuel(); }
void Sandbox::restart_clocks(const EngineLimits& limits) {
    options_.limits.cpu_time_ns = limits.cpu_time_ns;
    options_.limits.wall_time_ns = limits.wall_time_ns;
    run_control_->restart(options_.limits);
}

// Every engine stops its guest with this one signal, so that a personality
// can keep it from its guests whichever engine runs them.
InterruptSignal Sandbox::interrupt_signal() { return {SIGRTMAX, -1}; }

void Sandbox::set_cpu_time_limit(uint64_t ns) {
    if (!options_.limits.cpu_time_ns) throw Error("this sandbox has no CPU-time limit to move");
    options_.limits.cpu_time_ns = ns;
    run_control_->set_cpu_time_limit(ns);
}

void Sandbox::exceed(const LimitExceeded& breach) {
    if (!host_breach_) host_breach_ = breach;
}

uint64_t Sandbox::memory_in_use() const { return memory_->own_bytes() + engine_->host_bytes(); }

bool Sandbox::admit_memory(uint64_t bytes, uint64_t elsewhere) {
    if (!options_.limits.memory) return true;
    uint64_t total = elsewhere + memory_in_use() + bytes;
    if (total <= *options_.limits.memory) return true;
    exceed({Limit::Memory, total, *options_.limits.memory});
    return false;
}

std::optional<LimitExceeded> Sandbox::limit_exceeded() const {
    if (host_breach_) return host_breach_;
    return memory_->host_mapping_breach();
}

Usage Sandbox::usage() const {
    Usage usage;
    engine_->add_usage(usage);
    usage.cpu_time_ns = run_control_->cpu_time_ns();
    usage.wall_time_ns = run_control_->wall_time_ns();
    usage.host_mappings = memory_->host_mappings();
    usage.host_mappings_peak = memory_->host_mappings_peak();
    return usage;
}

std::vector<uint8_t> Sandbox::extended_state() const { return engine_->extended_state(); }
bool Sandbox::set_extended_state(std::span<const uint8_t> image) { return engine_->set_extended_state(image); }

pid_t Sandbox::fork_host_process() {
    if (!engine_->prepare_fork()) return -1;  // (memfd_create's errno: EMFILE, ENOMEM...)
    run_control_->prepare_fork();
    pid_t pid = ::fork();
    engine_->finish_fork(pid == 0);
    run_control_->finish_fork(pid == 0);
    return pid;
}

std::vector<long> Sandbox::host_calls() const {
    std::vector<long> calls = RunControl::host_calls();
    for (long call : engine_->host_calls())
        if (std::find(calls.begin(), calls.end(), call) == calls.end()) calls.push_back(call);
    return calls;
}
std::string Sandbox::describe_instruction(uint32_t eip) const { return engine_->describe_instruction(eip); }

void Sandbox::set_selectors(const FlatSelectors& selectors) {
    options_.selectors = selectors;
    engine_->set_selectors(selectors);
}

void Sandbox::set_segment(SegmentRegister segment, uint16_t selector, uint32_t base) {
    engine_->set_segment(segment, selector, base);
}

bool Sandbox::set_descriptor(unsigned index, uint32_t base) {
    if (!descriptors_.set(index, base)) return false;
    engine_->set_descriptors(descriptors_);
    return true;
}

void Sandbox::clear_descriptor(unsigned index) {
    if (!descriptors_.base(index)) return;
    descriptors_.clear(index);
    engine_->set_descriptors(descriptors_);
}

bool Sandbox::load_segment(SegmentRegister segment, uint16_t selector) {
    std::optional<uint32_t> base = descriptors_.resolve(selector);
    if (base) engine_->set_segment(segment, selector, *base);
    return base.has_value();
}

std::vector<HostRegion> Sandbox::host_regions() const {
    std::vector<HostRegion> regions{{"guest memory", reinterpret_cast<uint64_t>(memory_->host_base()), kReservation}};
    for (const HostRegion& r : engine_->host_regions()) regions.push_back(r);
    return regions;
}

}  // namespace vx
