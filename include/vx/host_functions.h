#pragma once
// Host functions a guest plug-in calls by name (docs/plugins.md): the host
// adds them to a HostFunctions registry and passes it to Sandbox::call
// (CallOptions::host_functions); the guest calls a gate, an address in a page
// below kLowestGuestMapping where nothing can be mapped, and the fetch fault
// there is the call.
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "vx/event.h"
#include "vx/guest_memory.h"

namespace vx {

class Sandbox;
class HostCall;

// The gate page: the page below kCallReturnAddress's (sandbox.h), gates
// kHostGateStride bytes apart from its start. Gate 0 looks a function up by
// name; gate 1 reports a name the host lacks; each function added has the
// next one.
inline constexpr uint32_t kHostGateBase = kLowestGuestMapping - 2 * kPageSize;
inline constexpr uint32_t kHostGateStride = 4;
// lookup(const char* name): the gate of the function of that name, 0 when
// the host has none (or no registry was given).
inline constexpr uint32_t kHostLookupGate = kHostGateBase;
// unresolved(const char* name): ends the call with a HostCall event
// (HostCallProblem::UnknownFunction) naming `name`: what the SDK's stub of a
// function the host lacks calls.
inline constexpr uint32_t kHostUnresolvedGate = kHostGateBase + kHostGateStride;
inline constexpr uint32_t kFirstHostFunctionGate = kHostGateBase + 2 * kHostGateStride;
inline constexpr size_t kMaxHostFunctions = kPageSize / kHostGateStride - 2;
inline constexpr uint32_t kMaxHostFunctionArgs = 16;  // 32-bit words
inline constexpr uint32_t kMaxHostFunctionName = 255; // bytes, without the NUL

inline bool in_host_gate_page(uint32_t address) { return address - kHostGateBase < kPageSize; }

// A host function: given the call (its arguments, checked access to guest
// memory), returns what the guest finds in edx:eax (the low 32 bits alone for
// a function the guest declares 32-bit).
using HostFunction = std::function<uint64_t(HostCall& call)>;

// The functions a guest may call, by name. Gates are given in the order the
// functions are added: a plug-in that bound a name keeps its gate (the SDK
// caches it in guest memory, snapshots included), so it is called with this
// registry, or one that added the same functions in the same order, for life.
// Sandboxes on several threads may share a registry (calls only read it; its
// functions are then called from those threads at once).
class HostFunctions {
public:
    struct Entry {
        std::string name;
        uint32_t arg_count;  // 32-bit words the guest pushed (cdecl): a 64-bit argument counts two
        HostFunction function;
    };

    // Adds `function` under `name` with `arg_count` 32-bit arguments and
    // returns its gate. Throws Error for an empty name, one longer than
    // kMaxHostFunctionName or holding a NUL, a name added already, more than
    // kMaxHostFunctionArgs arguments, no function, or a registry that holds
    // kMaxHostFunctions already. Not while a call that uses the registry runs.
    uint32_t add(std::string_view name, uint32_t arg_count, HostFunction function);

    // The gate of `name`, 0 when there is none.
    uint32_t gate(std::string_view name) const;
    // The function whose gate is `gate`, nullptr for any other address.
    const Entry* at_gate(uint32_t gate) const;
    size_t size() const { return entries_.size(); }

private:
    std::deque<Entry> entries_;  // never moved: a call runs an entry while another is added
    std::map<std::string, uint32_t, std::less<>> gates_;
};

// One call of a host function by the guest. The sandbox's registers are the
// guest's at the gate (eip the gate, esp at the return address, the
// arguments above it); the function may call the guest again
// (sandbox().call): the inner call runs below them and puts them back.
class HostCall {
public:
    HostCall(Sandbox& sandbox, const HostFunctions::Entry& function, uint32_t gate,
             std::span<const uint32_t> args);

    Sandbox& sandbox() const { return sandbox_; }
    std::string_view name() const { return function_.name; }
    uint32_t gate() const { return gate_; }

    // The i-th 32-bit argument as the guest passed it; arg64 takes two words,
    // i (low) and i+1 (high), as cdecl passes a 64-bit one. Throws Error for
    // an index beyond the arguments the function was added with (the host's
    // mistake, not the guest's).
    uint32_t arg(uint32_t i) const;
    uint64_t arg64(uint32_t i) const;
    std::span<const uint32_t> args() const { return {args_.data(), arg_count_}; }

    // Guest memory the guest passed pointers to. Each refuses the call
    // (HostCallProblem::BadPointer) unless the whole range is guest memory
    // the guest may read (write), with no wrap past 4 GiB; a write writes
    // nothing then. A length beyond `max_length` refuses it too
    // (HostCallProblem::TooLong): a guest's length never sizes a host
    // allocation unchecked.
    void read(uint32_t address, std::span<uint8_t> into) const;
    std::vector<uint8_t> read(uint32_t address, uint32_t length, uint32_t max_length) const;
    void write(uint32_t address, std::span<const uint8_t> bytes) const;
    // A NUL-terminated string of at most `max_length` bytes before its NUL,
    // read up to that NUL only (what follows it may be unmapped).
    std::string read_string(uint32_t address, uint32_t max_length) const;
    template <class T> T read_value(uint32_t address) const {
        static_assert(std::is_trivially_copyable_v<T>);
        T value;
        read(address, std::span(reinterpret_cast<uint8_t*>(&value), sizeof value));
        return value;
    }
    template <class T> void write_value(uint32_t address, const T& value) const {
        static_assert(std::is_trivially_copyable_v<T>);
        write(address, std::span(reinterpret_cast<const uint8_t*>(&value), sizeof value));
    }

    // Ends the guest's call (Sandbox::call returns a HostCall event, problem
    // Refused, that says `reason`): the guest does not go on. Throws what
    // Sandbox::call catches (a HostCallRefused): let it pass.
    [[noreturn]] void refuse(std::string reason) const;
    [[noreturn]] void refuse(HostCallProblem problem, std::string reason) const;

private:
    Sandbox& sandbox_;
    const HostFunctions::Entry& function_;
    uint32_t gate_;
    uint32_t arg_count_;
    std::array<uint32_t, kMaxHostFunctionArgs> args_{};
};

// What HostCall::refuse throws. Not a std::exception, so that a host
// function's `catch (const std::exception&)` does not swallow a refusal of
// its own checked accesses.
struct HostCallRefused {
    const HostCall* call;  // the call it ends (a nested call passes on another's)
    HostCallRefusal refusal;
};

}  // namespace vx
