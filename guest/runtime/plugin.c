/* The runtime of a vx plug-in (guest/include/vx/plugin.h): the binding of
 * imported host functions, and an entry point for a plug-in run as a program
 * by mistake. cmake/VxPlugin.cmake links it into every plug-in. */
#include <vx/plugin.h>

uint32_t vx_host_bind(const char* name) {
    const uint32_t gate = vx_host_lookup(name);
    if (gate) return gate;
    /* The host ends its call here: it has no function of that name. */
    ((void (*)(const char*))VX_HOST_UNRESOLVED_GATE)(name);
    __builtin_trap();
}

/* A plug-in is not a program: its host calls its functions. Run as one (by
 * a Linux personality, vxrun), it says so and exits with status 1. */
__asm__(".text\n"
        ".globl _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "  mov $4, %eax\n"        /* write(2, message, length) */
        "  mov $2, %ebx\n"
        "  mov $vx_plugin_not_a_program, %ecx\n"
        "  mov $vx_plugin_not_a_program_length, %edx\n"
        "  int $0x80\n"
        "  mov $1, %eax\n"        /* exit(1) */
        "  mov $1, %ebx\n"
        "  int $0x80\n"
        "  hlt\n"
        ".size _start, .-_start\n"
        ".pushsection .rodata\n"
        "vx_plugin_not_a_program: .ascii \"a vx plug-in: its host calls its functions; it does not run as a program\\n\"\n"
        ".set vx_plugin_not_a_program_length, . - vx_plugin_not_a_program\n"
        ".popsection\n");
