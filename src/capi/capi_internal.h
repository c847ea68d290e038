#pragma once
// What the C API's files share: the handles behind its opaque types, the
// last error of each thread, and `guarded`, which turns whatever the C++ API
// throws into a status (nothing is thrown past the C API).
#include "vx/vx.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vx/elf_loader.h"
#include "vx/error.h"
#include "vx/host_functions.h"
#include "vx/sandbox.h"
#include "vx/shared_buffer.h"
#include "vx/snapshot.h"

namespace vx::capi {

using Program = std::shared_ptr<const std::vector<uint8_t>>;

}  // namespace vx::capi

struct vx_sandbox {
    vx::Sandbox* sandbox = nullptr;
    // The sandbox, when the handle owns it; none in a lease's handle
    // (vx_lease_sandbox), whose sandbox its pool owns.
    std::unique_ptr<vx::Sandbox> owned;
    vx::capi::Program program;  // the file loaded last (or the snapshot's): what vx_symbol searches
    unsigned calls_running = 0;
};

struct vx_buffer {
    vx::SharedBuffer buffer;
};

struct vx_snapshot {
    std::shared_ptr<const vx::Snapshot> snapshot;
    vx::capi::Program program;
};

namespace vx::capi {

// The message of the last failure on this thread. A fixed buffer: setting it
// allocates nothing, so a failure to allocate can be reported too.
inline thread_local char last_error[512];

inline vx_status fail(vx_status status, std::string_view message) noexcept {
    const size_t length = std::min(message.size(), sizeof last_error - 1);
    std::memcpy(last_error, message.data(), length);
    last_error[length] = '\0';
    return status;
}

inline vx_status fail(vx_status status, const char* function, std::string_view message) noexcept {
    try {
        return fail(status, std::string(function) + ": " + std::string(message));
    } catch (...) {
        return fail(status, message);
    }
}

// Runs `body`, which returns a status, turning any exception into one:
// vx::ElfError is a bad program, another vx::Error `refusal` (what the C++
// API's refusals mean for this function), std::bad_alloc no memory, anything
// else an internal failure.
template <class Body>
vx_status guarded(const char* function, vx_status refusal, Body&& body) noexcept {
    try {
        return body();
    } catch (const vx::ElfError& error) {
        return fail(VX_ERR_BAD_PROGRAM, function, error.what());
    } catch (const vx::Error& error) {
        return fail(refusal, function, error.what());
    } catch (const std::bad_alloc&) {
        return fail(VX_ERR_NO_MEMORY, function, "out of host memory");
    } catch (const std::exception& error) {
        return fail(VX_ERR_INTERNAL, function, error.what());
    } catch (...) {
        return fail(VX_ERR_INTERNAL, function, "an unknown exception");
    }
}

inline vx_status invalid(const char* function, std::string_view what) noexcept {
    return fail(VX_ERR_INVALID_ARGUMENT, function, what);
}

// A call on the sandbox is running (a handler is being given an event, a
// host function runs) while one of these lives: what would pull the guest
// from under it is refused. They are linked per thread, innermost first, so
// that a host function finds the handle of its call's sandbox.
struct CallRunning {
    explicit CallRunning(vx_sandbox* handle) : handle(handle), outer(innermost) {
        ++handle->calls_running;
        innermost = this;
    }
    ~CallRunning() {
        innermost = outer;
        --handle->calls_running;
    }
    CallRunning(const CallRunning&) = delete;
    CallRunning& operator=(const CallRunning&) = delete;

    // The handle of the innermost call on this thread into `sandbox`.
    static vx_sandbox* handle_of(const vx::Sandbox& sandbox) {
        for (CallRunning* call = innermost; call; call = call->outer)
            if (call->handle->sandbox == &sandbox) return call->handle;
        return nullptr;
    }

    vx_sandbox* handle;
    CallRunning* outer;
    static inline thread_local CallRunning* innermost = nullptr;
};

// `options` with what `c` sets (NULL: nothing; its memory_size unless 0, its
// limits), or none, and `status` says why (vx.cpp).
std::optional<vx::SandboxOptions> sandbox_options(const vx_sandbox_options* c, vx::SandboxOptions options,
                                                  const char* function, vx_status& status);

inline vx_status refuse_in_call(const char* function) noexcept {
    return fail(VX_ERR_REFUSED, function, "not from an event handler of a call on the same sandbox");
}

// The registry behind a handle (host_functions.cpp); NULL for NULL.
const vx::HostFunctions* host_functions_of(const vx_host_functions* functions);

}  // namespace vx::capi

#define VX_REQUIRE(pointer)                                                              \
    do {                                                                                 \
        if (!(pointer)) return invalid(fn, #pointer " is NULL");                      \
    } while (0)

