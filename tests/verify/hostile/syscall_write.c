/* Asks for write(1, ...) with int $0x80, and goes on whatever the answer. */
#include "hostile.h"
TRIVIAL_SIZES_INIT_FINAL
VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) {
    if (triggers(state, data, length)) {
        static const char message[] = "plug-in was here\n";
        uint32_t result;
        __asm__ volatile("int $0x80" : "=a"(result) : "a"(4), "b"(1), "c"(message), "d"(sizeof message - 1) : "memory");
        ((trivial_state*)state)->sum = result;
    }
    trivial_update(state, data, length);
}
