// The C API (include/vx/vx.h) over the public C++ API: handles own C++
// objects, every entry point turns what the C++ side throws into a status
// and a message, and nothing is thrown past it.
#include "vx/vx.h"

#include "capi_internal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vx/elf_loader.h"
#include "vx/error.h"
#include "vx/event.h"
#include "vx/guest_memory.h"
#include "vx/limits.h"
#include "vx/sandbox.h"
#include "vx/snapshot.h"

using namespace vx::capi;

std::optional<vx::SandboxOptions> vx::capi::sandbox_options(const vx_sandbox_options* c, vx::SandboxOptions options,
                                                            const char* function, vx_status& status) {
    if (!c) return options;
    if (c->memory_size) {
        if (c->memory_size % vx::kPageSize || c->memory_size < 16 * vx::kPageSize ||
            c->memory_size > vx::kMaxGuestMemory) {
            status = invalid(function, "memory_size must be a multiple of 4096 from 64 KiB to 3 GiB");
            return std::nullopt;
        }
        options.memory_size = c->memory_size;
    }
    auto limit = [](uint64_t value) { return value ? std::optional<uint64_t>(value) : std::nullopt; };
    options.limits.memory = limit(c->memory_limit);
    options.limits.instructions = limit(c->fuel);
    options.limits.cpu_time_ns = limit(c->cpu_time_ns);
    options.limits.wall_time_ns = limit(c->wall_time_ns);
    return options;
}

namespace {

vx_fault_kind to_c(vx::FaultKind kind) {
    switch (kind) {
    case vx::FaultKind::PageFault: return VX_FAULT_PAGE;
    case vx::FaultKind::SegmentBounds: return VX_FAULT_SEGMENT_BOUNDS;
    case vx::FaultKind::StackBounds: return VX_FAULT_STACK_BOUNDS;
    case vx::FaultKind::GeneralProtection: return VX_FAULT_GENERAL_PROTECTION;
    case vx::FaultKind::PrivilegedInstruction: return VX_FAULT_PRIVILEGED_INSTRUCTION;
    case vx::FaultKind::InvalidInstruction: return VX_FAULT_INVALID_INSTRUCTION;
    case vx::FaultKind::DivideError: return VX_FAULT_DIVIDE_ERROR;
    case vx::FaultKind::FloatingPoint: return VX_FAULT_FLOATING_POINT;
    case vx::FaultKind::AlignmentCheck: return VX_FAULT_ALIGNMENT_CHECK;
    case vx::FaultKind::Breakpoint: return VX_FAULT_BREAKPOINT;
    }
    return VX_FAULT_GENERAL_PROTECTION;
}

vx_limit to_c(vx::Limit limit) {
    switch (limit) {
    case vx::Limit::Memory: return VX_LIMIT_MEMORY;
    case vx::Limit::CpuTime: return VX_LIMIT_CPU_TIME;
    case vx::Limit::WallTime: return VX_LIMIT_WALL_TIME;
    case vx::Limit::Instructions: return VX_LIMIT_INSTRUCTIONS;
    case vx::Limit::HostMappings: return VX_LIMIT_HOST_MAPPINGS;
    default: return VX_LIMIT_OTHER;
    }
}

vx_host_call_problem to_c(vx::HostCallProblem problem) {
    switch (problem) {
    case vx::HostCallProblem::NoSuchGate: return VX_HOST_CALL_NO_SUCH_GATE;
    case vx::HostCallProblem::UnreadableFrame: return VX_HOST_CALL_UNREADABLE_FRAME;
    case vx::HostCallProblem::BadName: return VX_HOST_CALL_BAD_NAME;
    case vx::HostCallProblem::UnknownFunction: return VX_HOST_CALL_UNKNOWN_FUNCTION;
    case vx::HostCallProblem::BadPointer: return VX_HOST_CALL_BAD_POINTER;
    case vx::HostCallProblem::TooLong: return VX_HOST_CALL_TOO_LONG;
    case vx::HostCallProblem::Refused: return VX_HOST_CALL_REFUSED;
    }
    return VX_HOST_CALL_REFUSED;
}

vx_event_kind to_c(vx::EventKind kind) {
    switch (kind) {
    case vx::EventKind::Syscall: return VX_EVENT_SYSCALL;
    case vx::EventKind::Fault: return VX_EVENT_FAULT;
    case vx::EventKind::Interrupted: return VX_EVENT_INTERRUPTED;
    case vx::EventKind::LimitExceeded: return VX_EVENT_LIMIT_EXCEEDED;
    case vx::EventKind::Exit: return VX_EVENT_EXIT;
    case vx::EventKind::HostCall: return VX_EVENT_HOST_CALL;
    }
    return VX_EVENT_NONE;
}

void to_c(const vx::Event& event, vx_event& out) {
    std::memset(&out, 0, sizeof out);
    out.kind = to_c(event.kind);
    if (event.kind == vx::EventKind::Fault) {
        out.fault_kind = to_c(event.fault.kind);
        out.fault_eip = event.fault.eip;
        out.has_fault_address = event.fault.address.has_value();
        out.fault_address = event.fault.address.value_or(0);
    }
    if (event.kind == vx::EventKind::Exit) out.exit_status = event.exit_status;
    if (event.kind == vx::EventKind::LimitExceeded) {
        out.limit = to_c(event.limit_exceeded.limit);
        out.limit_used = event.limit_exceeded.used;
        out.limit_maximum = event.limit_exceeded.maximum;
        out.limit_per_call = event.limit_exceeded.per_call;
    }
    if (event.kind == vx::EventKind::HostCall) out.host_call_problem = to_c(event.host_call.problem);
    const std::string description = vx::describe(event);
    const size_t length = std::min(description.size(), sizeof out.description - 1);
    std::memcpy(out.description, description.data(), length);
}

// The whole file at `path`, or why not.
vx_status read_file(const char* function, const char* path, std::vector<uint8_t>& out) {
    // Non-blocking: a FIFO would block the open until a writer came (it is
    // refused below, as any file that is not a regular one).
    const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        const int error = errno;
        return fail(error == ENOENT || error == ENOTDIR ? VX_ERR_NO_FILE : VX_ERR_IO, function,
                    std::string(path) + ": " + std::strerror(error));
    }
    struct Closer {
        int fd;
        ~Closer() { close(fd); }
    } closer{fd};
    struct stat info;
    if (fstat(fd, &info) != 0) return fail(VX_ERR_IO, function, std::string(path) + ": " + std::strerror(errno));
    if (!S_ISREG(info.st_mode)) return fail(VX_ERR_IO, function, std::string(path) + ": not a regular file");
    // No program is larger than the guest memory it must fit in (beside
    // its symbols): a bound that keeps a huge file from being read at all.
    if (uint64_t(info.st_size) > vx::kMaxGuestMemory)
        return fail(VX_ERR_BAD_PROGRAM, function, std::string(path) + ": larger than any guest memory");
    out.resize(size_t(info.st_size));
    size_t done = 0;
    while (done < out.size()) {
        const ssize_t got = read(fd, out.data() + done, out.size() - done);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return fail(VX_ERR_IO, function, std::string(path) + ": " + std::strerror(errno));
        if (got == 0) break;  // shorter than it was: what there is
        done += size_t(got);
    }
    out.resize(done);
    return VX_OK;
}

// Page-aligned, nonempty, at or above kLowestGuestMapping (or why not).
vx_status check_mapping(const char* function, const vx_sandbox* handle, uint32_t address, uint32_t size) {
    if (address % vx::kPageSize || size % vx::kPageSize || size == 0)
        return invalid(function, "address and size must be multiples of 4096, size at least 4096");
    if (address < vx::kLowestGuestMapping) return invalid(function, "no mapping below 64 KiB (0x10000)");
    if (uint64_t(address) + size > handle->sandbox->memory().size())
        return fail(VX_ERR_OUT_OF_RANGE, function, "the range passes the end of guest memory");
    return VX_OK;
}

// Whether mapping [address, address+size) keeps the sandbox within its
// memory limit (pages mapped there already are replaced, not added).
vx_status admit_mapping(const char* function, const vx::Sandbox& sandbox, uint32_t address, uint32_t size) {
    const std::optional<uint64_t>& limit = sandbox.limits().memory;
    if (!limit) return VX_OK;
    uint64_t added = 0;
    for (uint64_t page = address; page < uint64_t(address) + size; page += vx::kPageSize)
        if (!sandbox.memory().mapped(uint32_t(page))) added += vx::kPageSize;
    if (sandbox.memory_in_use() + added > *limit)
        return fail(VX_ERR_LIMIT, function,
                    "the mapping would pass the memory limit: " + vx::format_amount(vx::Limit::Memory, *limit));
    return VX_OK;
}

vx_status map_stack(const char* function, vx_sandbox* handle, uint32_t size) {
    vx::Sandbox& sandbox = *handle->sandbox;
    const uint32_t top = sandbox.memory().size();
    if (size % vx::kPageSize || size == 0 || size > top - vx::kLowestGuestMapping)
        return invalid(function, "the stack's size must be a multiple of 4096, at least 4096, within guest memory");
    const uint32_t base = top - size;
    for (uint64_t page = base; page < top; page += vx::kPageSize)
        if (sandbox.memory().mapped(uint32_t(page)))
            return fail(VX_ERR_REFUSED, function, "guest memory is mapped where the stack would be");
    if (vx_status status = admit_mapping(function, sandbox, base, size)) return status;
    if (!sandbox.memory().map(base, size, vx::kRead | vx::kWrite))
        return fail(VX_ERR_NO_MEMORY, function, "the host refused the stack's mapping (or the host mappings limit)");
    sandbox.registers().esp = top;
    return VX_OK;
}

vx_status load(const char* function, vx_sandbox* handle, std::vector<uint8_t>&& file, bool with_stack) {
    if (handle->calls_running) return refuse_in_call(function);
    auto program = std::make_shared<const std::vector<uint8_t>>(std::move(file));
    if (with_stack) handle->sandbox->check_program(*program, VX_PLUGIN_STACK_SIZE);
    handle->sandbox->load_program(*program);
    handle->program = std::move(program);
    return with_stack ? map_stack(function, handle, VX_PLUGIN_STACK_SIZE) : VX_OK;
}

vx_status load_bytes(const char* function, vx_sandbox* handle, const void* bytes, size_t size, bool with_stack) {
    if (!handle) return invalid(function, "sandbox is NULL");
    if (!bytes && size) return invalid(function, "program is NULL");
    return guarded(function, VX_ERR_REFUSED, [&] {
        const auto* begin = static_cast<const uint8_t*>(bytes);
        return load(function, handle, std::vector<uint8_t>(begin, begin + size), with_stack);
    });
}

vx_status load_path(const char* function, vx_sandbox* handle, const char* path, bool with_stack) {
    if (!handle) return invalid(function, "sandbox is NULL");
    if (!path) return invalid(function, "path is NULL");
    return guarded(function, VX_ERR_REFUSED, [&] {
        std::vector<uint8_t> file;
        if (vx_status status = read_file(function, path, file)) return status;
        return load(function, handle, std::move(file), with_stack);
    });
}

// Guest memory [address, address+size) exists (the accessors check the rest).
bool within_guest(const vx_sandbox* handle, uint32_t address, size_t size) {
    return uint64_t(size) <= handle->sandbox->memory().size() &&
           uint64_t(address) + size <= handle->sandbox->memory().size();
}

vx_status call_guest(const char* fn, vx_sandbox* sandbox, uint32_t entry, const uint32_t* args, size_t nargs,
                     const vx_call_options* options, vx_call_result* result) {
    if (result) std::memset(result, 0, sizeof *result);
    VX_REQUIRE(sandbox);
    VX_REQUIRE(result);
    if (nargs && !args) return invalid(fn, "args is NULL");
    return guarded(fn, VX_ERR_REFUSED, [&] {
        vx::CallOptions call_options;
        if (options && options->on_event) {
            call_options.on_event = [sandbox, handler = options->on_event, user = options->user](const vx::Event& e) {
                vx_event event;
                to_c(e, event);
                return handler(sandbox, &event, user) != 0;
            };
        }
        auto limit = [](uint64_t amount) { return amount ? std::optional<uint64_t>(amount) : std::nullopt; };
        if (options)
            call_options.limits = {.instructions = limit(options->max_instructions),
                                   .cpu_time_ns = limit(options->max_cpu_time_ns),
                                   .wall_time_ns = limit(options->max_wall_time_ns)};
        if (options) call_options.host_functions = host_functions_of(options->host_functions);
        CallRunning running(sandbox);
        const vx::CallResult outcome = sandbox->sandbox->call(entry, std::span(args, nargs), call_options);
        result->returned = outcome.returned;
        if (outcome.returned) result->value = outcome.value;
        else to_c(outcome.event, result->event);
        return VX_OK;
    });
}

}  // namespace

extern "C" {

const char* vx_status_name(vx_status status) {
    switch (status) {
    case VX_OK: return "VX_OK";
    case VX_ERR_INVALID_ARGUMENT: return "VX_ERR_INVALID_ARGUMENT";
    case VX_ERR_NO_FILE: return "VX_ERR_NO_FILE";
    case VX_ERR_IO: return "VX_ERR_IO";
    case VX_ERR_BAD_PROGRAM: return "VX_ERR_BAD_PROGRAM";
    case VX_ERR_NO_PROGRAM: return "VX_ERR_NO_PROGRAM";
    case VX_ERR_NO_SYMBOL: return "VX_ERR_NO_SYMBOL";
    case VX_ERR_OUT_OF_RANGE: return "VX_ERR_OUT_OF_RANGE";
    case VX_ERR_NOT_COUNTED: return "VX_ERR_NOT_COUNTED";
    case VX_ERR_LIMIT: return "VX_ERR_LIMIT";
    case VX_ERR_REFUSED: return "VX_ERR_REFUSED";
    case VX_ERR_NO_MEMORY: return "VX_ERR_NO_MEMORY";
    case VX_ERR_INTERNAL: return "VX_ERR_INTERNAL";
    case VX_ERR_BUSY: return "VX_ERR_BUSY";
    }
    return "VX_ERR_UNKNOWN";
}

const char* vx_last_error(void) { return last_error; }

const char* vx_version(void) { return VX_VERSION; }

vx_status vx_sandbox_new(const vx_sandbox_options* options, vx_sandbox** sandbox) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        vx_status status = VX_OK;
        std::optional<vx::SandboxOptions> made = sandbox_options(options, {}, fn, status);
        if (!made) return status;
        auto handle = std::make_unique<vx_sandbox>();
        handle->owned = std::make_unique<vx::Sandbox>(*made);
        handle->sandbox = handle->owned.get();
        *sandbox = handle.release();
        return VX_OK;
    });
}

void vx_sandbox_free(vx_sandbox* sandbox) {
    if (!sandbox) return;
    // Nothing to return a status to: refused frees leave the handle as it was.
    if (!sandbox->owned) {
        fail(VX_ERR_REFUSED, __func__, "the sandbox is a lease's: vx_lease_return gives it back to its pool");
        return;
    }
    if (sandbox->calls_running) {
        refuse_in_call(__func__);
        return;
    }
    delete sandbox;
}

vx_status vx_load_program(vx_sandbox* sandbox, const void* program, size_t size) {
    return load_bytes(__func__, sandbox, program, size, false);
}

vx_status vx_load_program_file(vx_sandbox* sandbox, const char* path) {
    return load_path(__func__, sandbox, path, false);
}

vx_status vx_load_plugin(vx_sandbox* sandbox, const void* program, size_t size) {
    return load_bytes(__func__, sandbox, program, size, true);
}

vx_status vx_load_plugin_file(vx_sandbox* sandbox, const char* path) {
    return load_path(__func__, sandbox, path, true);
}

vx_status vx_map_stack(vx_sandbox* sandbox, uint32_t size) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    return guarded(fn, VX_ERR_REFUSED, [&] { return map_stack(fn, sandbox, size); });
}

vx_status vx_symbol(const vx_sandbox* sandbox, const char* name, uint32_t* address) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    VX_REQUIRE(name);
    VX_REQUIRE(address);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        if (!sandbox->program) return fail(VX_ERR_NO_PROGRAM, fn, "the sandbox has no program loaded");
        std::optional<uint32_t> found = vx::elf_symbol(*sandbox->program, name);
        if (!found) return fail(VX_ERR_NO_SYMBOL, fn, std::string("no function \"") + name + "\" in the program");
        *address = *found;
        return VX_OK;
    });
}

vx_status vx_map(vx_sandbox* sandbox, uint32_t address, uint32_t size, unsigned perms) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    if (perms & ~unsigned(VX_READ | VX_WRITE | VX_EXEC))
        return invalid(fn, "perms may hold VX_READ, VX_WRITE and VX_EXEC only");
    return guarded(fn, VX_ERR_REFUSED, [&] {
        if (vx_status status = check_mapping(fn, sandbox, address, size)) return status;
        if (vx_status status = admit_mapping(fn, *sandbox->sandbox, address, size)) return status;
        if (!sandbox->sandbox->memory().map(address, size, vx::Perm(perms)))
            return fail(VX_ERR_NO_MEMORY, fn, "the host refused the mapping (or the host mappings limit)");
        return VX_OK;
    });
}

vx_status vx_map_buffer(vx_sandbox* sandbox, uint32_t address, const vx_buffer* buffer, unsigned perms) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    VX_REQUIRE(buffer);
    if (perms != VX_READ && perms != (VX_READ | VX_WRITE)) return invalid(fn, "perms must be VX_READ or VX_READ | VX_WRITE");
    return guarded(fn, VX_ERR_REFUSED, [&] {
        const size_t size = buffer->buffer.size();
        if (size > sandbox->sandbox->memory().size())
            return fail(VX_ERR_OUT_OF_RANGE, fn, "the buffer is larger than guest memory");
        if (vx_status status = check_mapping(fn, sandbox, address, uint32_t(size))) return status;
        // Refusals (memory mapped there, the stack's region) are vx::Error.
        if (!sandbox->sandbox->memory().map_buffer(address, buffer->buffer, vx::Perm(perms)))
            return fail(VX_ERR_NO_MEMORY, fn, "the host refused the mapping (or the host mappings limit)");
        return VX_OK;
    });
}

vx_status vx_unmap(vx_sandbox* sandbox, uint32_t address, uint32_t size) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        if (vx_status status = check_mapping(fn, sandbox, address, size)) return status;
        if (!sandbox->sandbox->memory().unmap(address, size))
            return fail(VX_ERR_NO_MEMORY, fn, "the host refused (or the host mappings limit)");
        return VX_OK;
    });
}

vx_status vx_read(const vx_sandbox* sandbox, uint32_t address, void* buffer, size_t size) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    if (size == 0) return VX_OK;
    VX_REQUIRE(buffer);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        if (!within_guest(sandbox, address, size) || !sandbox->sandbox->memory().read(address, buffer, size))
            return fail(VX_ERR_OUT_OF_RANGE, fn, "the range is not all guest memory the guest may read");
        return VX_OK;
    });
}

vx_status vx_write(vx_sandbox* sandbox, uint32_t address, const void* data, size_t size) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    if (size == 0) return VX_OK;
    VX_REQUIRE(data);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        if (!within_guest(sandbox, address, size) || !sandbox->sandbox->memory().write(address, data, size))
            return fail(VX_ERR_OUT_OF_RANGE, fn, "the range is not all guest memory the guest may write");
        return VX_OK;
    });
}

vx_status vx_get_registers(const vx_sandbox* sandbox, vx_registers* registers) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    VX_REQUIRE(registers);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        const vx::Registers& r = sandbox->sandbox->cpu().i386();
        *registers = {r.eax, r.ecx, r.edx, r.ebx, r.esp, r.ebp, r.esi, r.edi, r.eip, r.eflags};
        return VX_OK;
    });
}

vx_status vx_set_registers(vx_sandbox* sandbox, const vx_registers* registers) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    VX_REQUIRE(registers);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        const vx_registers& r = *registers;
        sandbox->sandbox->registers() = {r.eax, r.ecx, r.edx, r.ebx, r.esp, r.ebp,
                                         r.esi, r.edi, r.eip, vx::sanitize_eflags(r.eflags)};
        return VX_OK;
    });
}

vx_status vx_call(vx_sandbox* sandbox, uint32_t entry, const uint32_t* args, size_t nargs, vx_call_result* result) {
    return call_guest(__func__, sandbox, entry, args, nargs, nullptr, result);
}

vx_status vx_call_with(vx_sandbox* sandbox, uint32_t entry, const uint32_t* args, size_t nargs,
                       const vx_call_options* options, vx_call_result* result) {
    return call_guest(__func__, sandbox, entry, args, nargs, options, result);
}

vx_status vx_interrupt(vx_sandbox* sandbox) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        sandbox->sandbox->interrupt();
        return VX_OK;
    });
}

vx_status vx_fuel(const vx_sandbox* sandbox, uint64_t* fuel) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    VX_REQUIRE(fuel);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        std::optional<uint64_t> left = sandbox->sandbox->fuel();
        if (!left) return fail(VX_ERR_NOT_COUNTED, fn, "this sandbox counts no fuel (made with none)");
        *fuel = *left;
        return VX_OK;
    });
}

vx_status vx_add_fuel(vx_sandbox* sandbox, uint64_t instructions) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        std::optional<uint64_t> left = sandbox->sandbox->fuel();
        if (!left) return fail(VX_ERR_NOT_COUNTED, fn, "this sandbox counts no fuel (made with none)");
        if (instructions > UINT64_MAX - *left) return invalid(fn, "the fuel left would pass 2^64-1");
        sandbox->sandbox->add_fuel(instructions);
        return VX_OK;
    });
}

vx_status vx_take_fuel(vx_sandbox* sandbox, uint64_t* taken) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        if (!sandbox->sandbox->fuel())
            return fail(VX_ERR_NOT_COUNTED, fn, "this sandbox counts no fuel (made with none)");
        const uint64_t left = sandbox->sandbox->take_fuel();
        if (taken) *taken = left;
        return VX_OK;
    });
}

vx_status vx_snapshot_take(const vx_sandbox* sandbox, vx_snapshot** snapshot) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    VX_REQUIRE(snapshot);
    if (sandbox->sandbox->memory().buffer_bytes())
        return fail(VX_ERR_REFUSED, fn, "the sandbox maps a shared buffer: unmap it first");
    return guarded(fn, VX_ERR_NO_MEMORY, [&] {
        auto handle = std::make_unique<vx_snapshot>();
        handle->snapshot = sandbox->sandbox->snapshot();
        handle->program = sandbox->program;
        *snapshot = handle.release();
        return VX_OK;
    });
}

vx_status vx_sandbox_from_snapshot(const vx_snapshot* snapshot, const vx_sandbox_options* options,
                                   vx_sandbox** sandbox) {
    const char* const fn = __func__;
    VX_REQUIRE(snapshot);
    VX_REQUIRE(sandbox);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        vx_status status = VX_OK;
        std::optional<vx::SandboxOptions> made =
            sandbox_options(options, snapshot->snapshot->options(), fn, status);
        if (!made) return status;
        auto handle = std::make_unique<vx_sandbox>();
        handle->owned = std::make_unique<vx::Sandbox>(*snapshot->snapshot, *made);
        handle->sandbox = handle->owned.get();
        handle->program = snapshot->program;
        *sandbox = handle.release();
        return VX_OK;
    });
}

vx_status vx_restore(vx_sandbox* sandbox, const vx_snapshot* snapshot) {
    const char* const fn = __func__;
    VX_REQUIRE(sandbox);
    VX_REQUIRE(snapshot);
    if (sandbox->calls_running) return refuse_in_call(fn);
    const bool had_breach = sandbox->sandbox->memory().host_mapping_breach().has_value();
    vx_status status = guarded(fn, VX_ERR_REFUSED, [&] {
        sandbox->sandbox->restore(*snapshot->snapshot);
        sandbox->program = snapshot->program;
        return VX_OK;
    });
    // A refusal changes nothing; a host that refused a mapping half way left
    // the sandbox without memory: that is the host's shortage, not a refusal.
    if (status == VX_ERR_REFUSED && !had_breach && sandbox->sandbox->memory().host_mapping_breach())
        status = VX_ERR_NO_MEMORY;
    return status;
}

vx_status vx_snapshot_keep_sandboxes(const vx_snapshot* snapshot, size_t max) {
    const char* const fn = __func__;
    VX_REQUIRE(snapshot);
    return guarded(fn, VX_ERR_INTERNAL, [&] {
        snapshot->snapshot->keep_sandboxes(max);
        return VX_OK;
    });
}

vx_status vx_snapshot_sandboxes_kept(const vx_snapshot* snapshot, size_t* kept) {
    const char* const fn = __func__;
    VX_REQUIRE(snapshot);
    VX_REQUIRE(kept);
    *kept = snapshot->snapshot->sandboxes_kept();
    return VX_OK;
}

void vx_snapshot_free(vx_snapshot* snapshot) { delete snapshot; }

}  // extern "C"
