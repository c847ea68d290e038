// Host functions a guest calls by name: the registry, and the checked access
// a call gives to guest memory (docs/plugins.md).
#include "vx/host_functions.h"

#include <algorithm>
#include <cstdio>

#include "vx/error.h"
#include "vx/sandbox.h"

#include "core/hex.h"

namespace vx {
namespace {

std::string range(uint32_t address, uint64_t length) {
    return hex(address) + " (" + std::to_string(length) + " bytes)";
}

}  // namespace

uint32_t HostFunctions::add(std::string_view name, uint32_t arg_count, HostFunction function) {
    const std::string quoted = "host function \"" + std::string(name) + "\"";
    if (name.empty() || name.size() > kMaxHostFunctionName || name.find('\0') != std::string_view::npos)
        throw Error("a host function's name is 1 to " + std::to_string(kMaxHostFunctionName) +
                    " bytes with no NUL");
    if (gates_.contains(name)) throw Error(quoted + " is added already");
    if (arg_count > kMaxHostFunctionArgs)
        throw Error(quoted + " takes " + std::to_string(arg_count) + " arguments; a host function takes " +
                    std::to_string(kMaxHostFunctionArgs) + " at most");
    if (!function) throw Error(quoted + " has no function");
    if (entries_.size() >= kMaxHostFunctions)
        throw Error("no gate left for " + quoted + ": a registry holds " + std::to_string(kMaxHostFunctions) +
                    " functions");
    const uint32_t gate = kFirstHostFunctionGate + uint32_t(entries_.size()) * kHostGateStride;
    entries_.push_back(Entry{std::string(name), arg_count, std::move(function)});
    gates_.emplace(std::string(name), gate);
    return gate;
}

uint32_t HostFunctions::gate(std::string_view name) const {
    auto found = gates_.find(name);
    return found == gates_.end() ? 0 : found->second;
}

const HostFunctions::Entry* HostFunctions::at_gate(uint32_t gate) const {
    if (gate < kFirstHostFunctionGate || (gate - kFirstHostFunctionGate) % kHostGateStride) return nullptr;
    const uint32_t index = (gate - kFirstHostFunctionGate) / kHostGateStride;
    return index < entries_.size() ? &entries_[index] : nullptr;
}

HostCall::HostCall(Sandbox& sandbox, const HostFunctions::Entry& function, uint32_t gate,
                   std::span<const uint32_t> args)
    : sandbox_(sandbox), function_(function), gate_(gate), arg_count_(uint32_t(args.size())) {
    if (args.size() > args_.size())
        throw Error("a host call has " + std::to_string(kMaxHostFunctionArgs) + " arguments at most");
    std::copy(args.begin(), args.end(), args_.begin());
}

uint32_t HostCall::arg(uint32_t i) const {
    if (i >= arg_count_)
        throw Error("host function \"" + function_.name + "\" was added with " + std::to_string(arg_count_) +
                    " arguments; it asked for argument " + std::to_string(i));
    return args_[i];
}

uint64_t HostCall::arg64(uint32_t i) const {
    const uint32_t low = arg(i);  // first: i + 1 cannot wrap then
    return uint64_t(arg(i + 1)) << 32 | low;
}

void HostCall::refuse(std::string reason) const { refuse(HostCallProblem::Refused, std::move(reason)); }

void HostCall::refuse(HostCallProblem problem, std::string reason) const {
    throw HostCallRefused{this, HostCallRefusal{problem, gate_, function_.name, std::move(reason)}};
}

void HostCall::read(uint32_t address, std::span<uint8_t> into) const {
    if (!sandbox_.memory().read(address, into.data(), into.size()))
        refuse(HostCallProblem::BadPointer, range(address, into.size()) + " is not readable guest memory");
}

std::vector<uint8_t> HostCall::read(uint32_t address, uint32_t length, uint32_t max_length) const {
    if (length > max_length)
        refuse(HostCallProblem::TooLong, "a length of " + std::to_string(length) + " bytes, over the " +
                                             std::to_string(max_length) + " the function takes");
    // Checked before the host allocates anything for it.
    if (!sandbox_.memory().accessible(address, length, kRead))
        refuse(HostCallProblem::BadPointer, range(address, length) + " is not readable guest memory");
    std::vector<uint8_t> bytes(length);
    read(address, bytes);
    return bytes;
}

void HostCall::write(uint32_t address, std::span<const uint8_t> bytes) const {
    if (!sandbox_.memory().write(address, bytes.data(), bytes.size()))
        refuse(HostCallProblem::BadPointer, range(address, bytes.size()) + " is not writable guest memory");
}

std::string HostCall::read_string(uint32_t address, uint32_t max_length) const {
    const GuestMemory& memory = sandbox_.memory();
    std::string text;
    // Page by page up to the NUL: the pages after it need not be readable.
    uint64_t at = address;
    for (;;) {
        if (at > UINT32_MAX) refuse(HostCallProblem::BadPointer, "the string at " + hex(address) + " runs past 4 GiB");
        const uint64_t wanted = uint64_t(max_length) + 1 - text.size();  // the NUL included
        const uint64_t page_end = (at / kPageSize + 1) * kPageSize;
        const uint32_t chunk = uint32_t(std::min(wanted, page_end - at));
        uint8_t bytes[kPageSize];
        if (!memory.read(uint32_t(at), bytes, chunk))
            refuse(HostCallProblem::BadPointer, "the string at " + hex(address) + " runs into " + hex(at) +
                                                    ", which is not readable guest memory");
        const uint8_t* nul = std::find(bytes, bytes + chunk, 0);
        text.append(reinterpret_cast<const char*>(bytes), size_t(nul - bytes));
        if (nul != bytes + chunk) return text;
        if (text.size() > max_length)
            refuse(HostCallProblem::TooLong, "the string at " + hex(address) + " has no NUL within " +
                                                 std::to_string(uint64_t(max_length) + 1) + " bytes");
        at += chunk;
    }
}

}  // namespace vx
