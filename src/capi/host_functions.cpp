// Host functions in the C API (vx_host_functions, vx_host_call): a C
// function behind each vx::HostFunctions entry. C frames never see an
// exception: what the C++ HostCall throws (a refusal) is kept in the
// vx_host_call while the C function runs and thrown again once it returned.
#include <optional>
#include <span>
#include <string>

#include "capi_internal.h"
#include "vx/host_functions.h"

struct vx_host_functions {
    vx::HostFunctions functions;
};

struct vx_host_call {
    vx::HostCall& call;
    vx_sandbox* sandbox;
    std::optional<vx::HostCallRefused> refusal;  // the first one, thrown when the function returns
};

using namespace vx::capi;

namespace {

// Runs a HostCall accessor; a refusal it throws is kept for later.
template <class Access>
vx_status kept_refusal(const char* fn, vx_host_call* call, vx_status status, Access&& access) {
    try {
        access();
        return VX_OK;
    } catch (const vx::HostCallRefused& refused) {
        if (!call->refusal) call->refusal = refused;
        return fail(status, fn, refused.refusal.reason);
    }
}

}  // namespace

const vx::HostFunctions* vx::capi::host_functions_of(const vx_host_functions* functions) {
    return functions ? &functions->functions : nullptr;
}

extern "C" {

vx_status vx_host_functions_new(vx_host_functions** functions) {
    static const char* fn = "vx_host_functions_new";
    VX_REQUIRE(functions);
    *functions = nullptr;
    return guarded(fn, VX_ERR_REFUSED, [&] {
        *functions = new vx_host_functions{};
        return VX_OK;
    });
}

void vx_host_functions_free(vx_host_functions* functions) { delete functions; }

vx_status vx_host_functions_add(vx_host_functions* functions, const char* name, unsigned arg_count,
                                vx_host_function function, void* user) {
    static const char* fn = "vx_host_functions_add";
    VX_REQUIRE(functions);
    VX_REQUIRE(name);
    VX_REQUIRE(function);
    const size_t length = strnlen(name, vx::kMaxHostFunctionName + 1);
    if (length == 0 || length > vx::kMaxHostFunctionName) return invalid(fn, "a name is 1 to 255 bytes");
    if (arg_count > vx::kMaxHostFunctionArgs) return invalid(fn, "a host function takes at most 16 arguments");
    if (functions->functions.gate(name) != 0) return fail(VX_ERR_REFUSED, fn, std::string("\"") + name + "\" was added already");
    vx_host_functions* registry = functions;
    return guarded(fn, VX_ERR_REFUSED, [&] {
        registry->functions.add(name, arg_count, [function, user](vx::HostCall& call) -> uint64_t {
            vx_sandbox* sandbox = CallRunning::handle_of(call.sandbox());
            vx_host_call c_call{call, sandbox, std::nullopt};
            uint64_t result = 0;
            const vx_status status = function(&c_call, user, &result);
            if (c_call.refusal) throw *c_call.refusal;
            if (status != VX_OK)
                call.refuse(std::string("the host function returned ") + vx_status_name(status));
            return result;
        });
        return VX_OK;
    });
}

vx_sandbox* vx_host_call_sandbox(vx_host_call* call) { return call ? call->sandbox : nullptr; }

vx_status vx_host_call_arg(const vx_host_call* call, unsigned index, uint32_t* value) {
    static const char* fn = "vx_host_call_arg";
    VX_REQUIRE(call);
    VX_REQUIRE(value);
    if (index >= call->call.args().size())
        return invalid(fn, "the function takes " + std::to_string(call->call.args().size()) + " arguments");
    *value = call->call.arg(index);
    return VX_OK;
}

vx_status vx_host_call_read(vx_host_call* call, uint32_t address, void* buffer, size_t size) {
    static const char* fn = "vx_host_call_read";
    VX_REQUIRE(call);
    if (size && !buffer) return invalid(fn, "buffer is NULL");
    return kept_refusal(fn, call, VX_ERR_OUT_OF_RANGE, [&] {
        call->call.read(address, std::span(static_cast<uint8_t*>(buffer), size));
    });
}

vx_status vx_host_call_write(vx_host_call* call, uint32_t address, const void* buffer, size_t size) {
    static const char* fn = "vx_host_call_write";
    VX_REQUIRE(call);
    if (size && !buffer) return invalid(fn, "buffer is NULL");
    return kept_refusal(fn, call, VX_ERR_OUT_OF_RANGE, [&] {
        call->call.write(address, std::span(static_cast<const uint8_t*>(buffer), size));
    });
}

vx_status vx_host_call_read_string(vx_host_call* call, uint32_t address, char* buffer, size_t capacity,
                                   size_t* length) {
    static const char* fn = "vx_host_call_read_string";
    VX_REQUIRE(call);
    VX_REQUIRE(buffer);
    if (capacity == 0) return invalid(fn, "capacity is 0: no room for the NUL");
    if (length) *length = 0;
    buffer[0] = '\0';
    const uint32_t max_length = uint32_t(std::min<size_t>(capacity - 1, UINT32_MAX));
    std::string text;
    vx_status status = VX_OK;
    try {
        text = call->call.read_string(address, max_length);
    } catch (const vx::HostCallRefused& refused) {
        if (!call->refusal) call->refusal = refused;
        status = refused.refusal.problem == vx::HostCallProblem::TooLong ? VX_ERR_LIMIT : VX_ERR_OUT_OF_RANGE;
        return fail(status, fn, refused.refusal.reason);
    } catch (const std::bad_alloc&) {
        return fail(VX_ERR_NO_MEMORY, fn, "out of host memory");
    }
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    if (length) *length = text.size();
    return VX_OK;
}

vx_status vx_host_call_refuse(vx_host_call* call, const char* reason) {
    static const char* fn = "vx_host_call_refuse";
    VX_REQUIRE(call);
    const char* why = reason ? reason : "refused by the host";
    try {
        call->call.refuse(why);
    } catch (const vx::HostCallRefused& refused) {
        if (!call->refusal) call->refusal = refused;
    } catch (const std::bad_alloc&) {
        return fail(VX_ERR_NO_MEMORY, fn, "out of host memory");
    }
    return fail(VX_ERR_REFUSED, fn, why);
}

}  // extern "C"
