/* Overwrites its return address with the data it was given, and returns
 * there: the file's bytes run as code, if anything lets them. */
#include "hostile.h"
void return_into(const uint8_t* data);
__asm__(".text\n"
        ".type return_into, @function\n"
        "return_into:\n"
        "  mov 4(%esp), %eax\n"
        "  mov %eax, (%esp)\n"
        "  ret\n"
        ".size return_into, .-return_into\n");
TRIVIAL_SIZES_INIT_FINAL
VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) {
    if (triggers(state, data, length)) return_into(data);
    trivial_update(state, data, length);
}
