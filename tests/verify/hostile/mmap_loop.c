/* Asks for 64 MiB after 64 MiB of memory with mmap2 (int $0x80), for ever. */
#include "hostile.h"
TRIVIAL_SIZES_INIT_FINAL
VX_HASH_EXPORT void vx_hash_update(void* state, const uint8_t* data, uint32_t length) {
    if (triggers(state, data, length))
        for (;;) {
            uint32_t address;
            __asm__ volatile("push %%ebp\n\tmov $0, %%ebp\n\tint $0x80\n\tpop %%ebp"
                             : "=a"(address)
                             : "a"(192), "b"(0), "c"(64u << 20), "d"(3), "S"(0x22), "D"(-1)
                             : "memory");
            if (address < 0xfffff000u) *(volatile uint8_t*)address = 1;
        }
    trivial_update(state, data, length);
}
