// Sandbox::call: the host calls a guest function (docs/plugins.md).
#include "vx/sandbox.h"

#include <algorithm>
#include <array>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/run_control.h"
#include "vx/host_functions.h"

#include "core/hex.h"

namespace vx {
namespace {

// Where a call's frame starts, below `esp`: what the callee finds at esp, the
// return address, then the arguments, which start on a 16-byte boundary, as
// gcc's i386 code assumes.
uint32_t frame_below(uint32_t esp, size_t arg_count) {
    const uint64_t arg_bytes = uint64_t(arg_count) * 4;
    if (uint64_t(esp) < arg_bytes + 4 + 15)
        throw Error("the guest's stack has no room below esp " + hex(esp) + " for the call's " +
                    std::to_string(arg_count) + " arguments");
    return uint32_t((esp - arg_bytes) & ~uint64_t(15)) - 4;
}

static_assert(kHostGateBase / kPageSize != kCallReturnAddress / kPageSize,
              "the gates and the return have pages of their own");
static_assert(kHostGateBase >= kPageSize, "address 0's page stays a null pointer's");

// The guest fetched at `gate` in the gate page, as a call leaves it: esp at
// the return address, the arguments above it. Runs what the gate is (lookup,
// unresolved, a function of `functions`) and returns from it as cdecl does
// (edx:eax, eip from the stack, esp past the return address, the arguments
// left to the caller), or says why it is refused.
std::optional<HostCallRefusal> answer_host_call(Sandbox& sandbox, const HostFunctions& functions,
                                                uint32_t gate) {
    static const HostFunctions::Entry lookup{"", 1, {}}, unresolved{"", 1, {}};  // built in
    const HostFunctions::Entry* entry = gate == kHostLookupGate       ? &lookup
                                        : gate == kHostUnresolvedGate ? &unresolved
                                                                      : functions.at_gate(gate);
    if (!entry)
        return HostCallRefusal{HostCallProblem::NoSuchGate, gate, {},
                               hex(gate) + " is no function's gate (the registry has " +
                                   std::to_string(functions.size()) + ")"};
    const uint32_t esp = sandbox.registers().esp;
    uint32_t frame[1 + kMaxHostFunctionArgs];
    const uint64_t frame_bytes = (1 + uint64_t(entry->arg_count)) * 4;
    if (!sandbox.memory().read(esp, frame, frame_bytes))
        return HostCallRefusal{HostCallProblem::UnreadableFrame, gate, entry->name,
                               "esp " + hex(esp) + ": the return address and " +
                                   std::to_string(entry->arg_count) + " arguments are not readable guest memory"};
    HostCall call(sandbox, *entry, gate, std::span(frame + 1, entry->arg_count));
    uint64_t result = 0;
    try {
        if (entry == &lookup || entry == &unresolved) {
            std::string name;
            try {
                name = call.read_string(call.arg(0), kMaxHostFunctionName);
            } catch (const HostCallRefused& bad) {
                return HostCallRefusal{HostCallProblem::BadName, gate, {}, bad.refusal.reason};
            }
            if (entry == &unresolved)
                return HostCallRefusal{HostCallProblem::UnknownFunction, gate, name,
                                       "the plug-in calls a function the host does not have"};
            result = functions.gate(name);
        } else {
            result = entry->function(call);
        }
    } catch (const HostCallRefused& refused) {
        if (refused.call != &call) throw;  // an outer call's, refused from within this one
        return refused.refusal;
    }
    Registers& registers = sandbox.registers();
    registers.eax = uint32_t(result);
    registers.edx = uint32_t(result >> 32);
    registers.eip = frame[0];
    registers.esp = esp + 4;
    return std::nullopt;
}

}  // namespace

// A call's own limits (CallLimits) while it runs: its fuel taken out of the
// sandbox's and what it did not spend given back, its time windows set in
// run control, however the call ends.
class Sandbox::CallBudget {
public:
    CallBudget(Sandbox& sandbox, const CallLimits& limits) : sandbox_(sandbox) {
        if (limits.instructions) {
            if (!sandbox.engine_->fuel())
                throw Error("a call's instruction limit needs a sandbox that counts fuel (its limits give some)");
            call_fuel_ = *limits.instructions;
            sandbox_fuel_ = sandbox.engine_->take_fuel();
            given_ = std::min(*sandbox_fuel_, call_fuel_);
            sandbox.engine_->add_fuel(given_);
        }
        outer_window_ = sandbox.run_control_->begin_call(limits.cpu_time_ns, limits.wall_time_ns);
    }
    ~CallBudget() {
        sandbox_.run_control_->end_call(outer_window_);
        if (sandbox_fuel_) {
            const uint64_t left = sandbox_.engine_->take_fuel();
            sandbox_.engine_->add_fuel(*sandbox_fuel_ - (given_ - left));
        }
    }
    CallBudget(const CallBudget&) = delete;
    CallBudget& operator=(const CallBudget&) = delete;

    // The event as the call reports it: fuel that ran out is the call's own
    // limit when the sandbox had more than the call was given.
    void report(Event& event) const {
        LimitExceeded& breach = event.limit_exceeded;
        if (event.kind == EventKind::LimitExceeded && breach.limit == Limit::Instructions && sandbox_fuel_ &&
            *sandbox_fuel_ > given_)
            breach = LimitExceeded{Limit::Instructions, given_, call_fuel_, true};
    }

private:
    Sandbox& sandbox_;
    std::optional<uint64_t> sandbox_fuel_;  // when the call has an instruction limit
    uint64_t call_fuel_ = 0, given_ = 0;
    RunControl::CallWindow outer_window_;
};

CallResult Sandbox::call(uint32_t entry, std::span<const uint32_t> args, const CallOptions& options) {
    const CallHandler& on_event = options.on_event;
    if (options_.arch != Arch::i386 || cpu_.arch() != Arch::i386)
        throw Error(std::string("a call into the guest is an i386 call; this sandbox runs ") +
                    to_string(options_.arch) + " guests");
    const HostFunctions* host_functions = options.host_functions;
    auto refuse_mapped_trap = [&] {
        if (memory_->mapped(kCallReturnAddress))
            throw Error("the page of the call's return address " + hex(kCallReturnAddress) +
                        " is mapped: a call could not tell its return from the guest's code");
        if (host_functions && memory_->mapped(kHostGateBase))
            throw Error("the page of the host functions' gates " + hex(kHostGateBase) +
                        " is mapped: a call could not tell a host call from the guest's code");
    };
    refuse_mapped_trap();
    const uint32_t frame_esp = frame_below(cpu_.i386().esp, args.size());
    const uint64_t frame_bytes = (args.size() + 1) * sizeof(uint32_t);
    // The frame in one checked write, from the host's stack for the usual
    // few arguments.
    std::array<uint32_t, 16> few;
    std::vector<uint32_t> many;
    uint32_t* const words = args.size() < few.size() ? few.data() : (many.resize(args.size() + 1), many.data());
    words[0] = kCallReturnAddress;
    std::copy(args.begin(), args.end(), words + 1);
    if (!memory_->write(frame_esp, words, frame_bytes))
        throw Error("the guest's stack is not writable guest memory at " + hex(frame_esp) + ".." +
                    hex(frame_esp + frame_bytes) + " for the call's " + std::to_string(args.size()) +
                    " arguments");

    // The guest's registers come back however the call ends (an exception of
    // on_event's included): a call does not move them. The extended state
    // is put back only when the callee changed it (most leave it alone), in
    // an image kept per depth of nesting, so that a call allocates nothing.
    if (call_depth_ == call_extended_states_.size()) call_extended_states_.emplace_back();
    CallExtendedState& extended = call_extended_states_[call_depth_];
    // Unchanged since this depth's last call looked (the version says so):
    // the image it kept is the state still.
    const std::optional<uint64_t> version = engine_->extended_state_version();
    if (!version || version != extended.version) {
        engine_->extended_state_into(extended.image);
        extended.version = version;
    }
    struct Restore {
        Sandbox& sandbox;
        CallExtendedState& extended;
        CpuState cpu;
        Segment fs, gs;
        ~Restore() {
            --sandbox.call_depth_;
            sandbox.cpu_ = cpu;
            Engine& engine = *sandbox.engine_;
            const std::optional<uint64_t> now = engine.extended_state_version();
            if (!now || now != extended.version) {
                const bool same = engine.extended_state_is(extended.image);
                extended.version = same || engine.set_extended_state(extended.image)
                                       ? engine.extended_state_version()
                                       : std::nullopt;
            }
            sandbox.set_segment(SegmentRegister::fs, fs.selector, fs.base);
            sandbox.set_segment(SegmentRegister::gs, gs.selector, gs.base);
        }
    } restore{*this, extended, cpu_, segment(SegmentRegister::fs), segment(SegmentRegister::gs)};
    ++call_depth_;

    CallBudget budget(*this, options.limits);

    // Clean flags (DF clear, as the convention wants); the other registers as
    // they were: the callee owes the caller nothing of them.
    Registers& registers = cpu_.i386();
    registers.esp = frame_esp;
    registers.eip = entry;
    registers.eflags = Registers{}.eflags;

    for (;;) {
        Event event = run();
        budget.report(event);
        const Registers& now = cpu_.i386();
        // Nothing can be at the return address: fetching there faults, and
        // that fault is the return (a guest jumping there early has returned
        // too, with whatever it left in edx:eax: the result is the guest's).
        if (event.kind == EventKind::Fault && event.fault.eip == kCallReturnAddress &&
            now.eip == kCallReturnAddress)
            return CallResult{.returned = true, .value = uint64_t(now.edx) << 32 | now.eax};
        // So is every gate: a fetch there is a call of a host function (a
        // refused one ends the call, whatever on_event would say).
        if (host_functions && event.kind == EventKind::Fault && event.fault.kind == FaultKind::PageFault &&
            in_host_gate_page(event.fault.eip) && now.eip == event.fault.eip) {
            if (auto refusal = answer_host_call(*this, *host_functions, now.eip))
                return CallResult{.event = Event{.kind = EventKind::HostCall, .host_call = std::move(*refusal)}};
            refuse_mapped_trap();
            continue;
        }
        // The call's own limits end it: a handler cannot give it more.
        const bool call_limit = event.kind == EventKind::LimitExceeded && event.limit_exceeded.per_call;
        if (event.kind == EventKind::Exit || call_limit || !on_event || !on_event(event))
            return CallResult{.event = event};
        refuse_mapped_trap();
    }
}

}  // namespace vx
