// Shared buffers in the C API (vx_buffer): a vx::SharedBuffer behind each
// handle (vx_map_buffer, which maps one into a sandbox, is in vx.cpp beside
// vx_map).
#include <memory>

#include "capi_internal.h"
#include "vx/shared_buffer.h"

using namespace vx::capi;

vx_status vx_buffer_new(size_t size, vx_buffer** buffer) {
    const char* const fn = __func__;
    VX_REQUIRE(buffer);
    if (size < vx::kPageSize || size > vx::kMaxGuestMemory || size % vx::kPageSize)
        return invalid(fn, "size must be a multiple of 4096 from 4096 to 3 GiB");
    return guarded(fn, VX_ERR_NO_MEMORY, [&] {
        *buffer = new vx_buffer{vx::SharedBuffer(size)};
        return VX_OK;
    });
}

void vx_buffer_free(vx_buffer* buffer) { delete buffer; }

void* vx_buffer_data(const vx_buffer* buffer) { return buffer ? buffer->buffer.data() : nullptr; }

size_t vx_buffer_size(const vx_buffer* buffer) { return buffer ? buffer->buffer.size() : 0; }
