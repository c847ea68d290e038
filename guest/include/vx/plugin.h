/* The vx plug-in SDK: freestanding C for i386 plug-ins (gcc -m32 -static
 * -nostdlib, as cmake/VxPlugin.cmake builds them; docs/plugins.md).
 *
 * A plug-in is a static i386 executable whose functions its host calls by
 * name (vx::Sandbox::call): it has no main and no loop. Its data is as the
 * file says when it is loaded (no constructors run); a plug-in that needs
 * more setting up exports a function for it, which its host calls first.
 *
 *   #include <vx/plugin.h>
 *
 *   VX_HOST_FUNCTION(uint32_t, host_log, (const char* text, uint32_t length));
 *
 *   VX_EXPORT uint32_t checksum(const uint8_t* data, uint32_t length) {
 *       host_log("checksum", 8);
 *       ...
 *   }
 *
 * A host function is imported by name: VX_HOST_FUNCTION declares a C
 * function of that prototype whose first call asks the host for the
 * function's gate (vx_host_lookup) and keeps it; later calls go straight to
 * the gate. When the host has no function of that name, the call ends the
 * host's call into the plug-in with an event naming it (UnknownFunction).
 * Arguments are 32-bit words, cdecl: a 64-bit one takes two, and the host
 * added the function with that many words. Pointers are guest addresses; the
 * host checks every range it reads or writes, and refuses the call (ending
 * it) for one the plug-in may not read or write.
 */
#ifndef VX_PLUGIN_H
#define VX_PLUGIN_H

#include <stdint.h>

#if !defined(__i386__)
#error "vx plug-ins are i386 code: build with gcc -m32 (cmake/VxPlugin.cmake's vx_add_plugin)"
#endif

/* The gate page (vx/host_functions.h's kHostGateBase, kHostGateStride): gate
 * 0 looks a name up, gate 1 reports a name the host lacks. */
#define VX_HOST_GATE_BASE 0xe000u
#define VX_HOST_GATE_STRIDE 4u
#define VX_HOST_LOOKUP_GATE VX_HOST_GATE_BASE
#define VX_HOST_UNRESOLVED_GATE (VX_HOST_GATE_BASE + VX_HOST_GATE_STRIDE)

/* A function the host may call by name: kept in the file's symbol table
 * (.symtab, where vx::elf_symbol finds it) even when nothing in the plug-in
 * calls it, and never inlined away. */
#if defined(__has_attribute)
#if __has_attribute(retain)
#define VX_EXPORT_RETAIN retain,  /* kept by the linker's --gc-sections too */
#endif
#endif
#ifndef VX_EXPORT_RETAIN
#define VX_EXPORT_RETAIN
#endif
#define VX_EXPORT __attribute__((used, VX_EXPORT_RETAIN noinline, visibility("default")))

/* The gate of the host function `name`, or 0 when the host has none (to
 * ask whether an optional function is there before calling it). */
static inline uint32_t vx_host_lookup(const char* name) {
    typedef uint32_t (*vx_lookup_gate)(const char*);
    return ((vx_lookup_gate)VX_HOST_LOOKUP_GATE)(name);
}

/* The stubs' binding, in the SDK's runtime (guest/runtime/plugin.c): the
 * gate of `name`, or the call ends in the host (unresolved gate). */
uint32_t vx_host_bind(const char* name);

/* VX_HOST_FUNCTION(ret, name, (parameters)) declares `ret name(parameters)`
 * and defines it as a stub: `jmp *gate`, the gate at first the binder, which
 * looks `name` up, keeps its gate and jumps there with the caller's frame
 * untouched (the host finds the return address at esp, the arguments
 * above). Each translation unit may import the same name: the stubs are in
 * COMDAT groups, one kept. Non-PIE code only (as the SDK builds it). */
#define VX_HOST_FUNCTION(ret, name, parameters)                                         \
    __attribute__((visibility("hidden"))) ret name parameters;                        \
    __asm__(".pushsection .text.vx_host." #name ",\"axG\",@progbits,vx_host." #name ",comdat\n" \
            ".globl " #name "\n"                                                        \
            ".hidden " #name "\n"                                                       \
            ".type " #name ",@function\n"                                               \
            #name ":\n"                                                                 \
            "  jmp *vx_host_gate." #name "\n"                                         \
            "vx_host_binder." #name ":\n"                                               \
            "  push $vx_host_name." #name "\n"                                          \
            "  call vx_host_bind\n"                                                     \
            "  add $4, %esp\n"                                                          \
            "  mov %eax, vx_host_gate." #name "\n"                                      \
            "  jmp *%eax\n"                                                             \
            ".size " #name ", .-" #name "\n"                                            \
            ".popsection\n"                                                             \
            ".pushsection .data.vx_host." #name ",\"awG\",@progbits,vx_host." #name ",comdat\n" \
            ".p2align 2\n"                                                              \
            "vx_host_gate." #name ": .long vx_host_binder." #name "\n"                  \
            ".popsection\n"                                                             \
            ".pushsection .rodata.vx_host." #name ",\"aG\",@progbits,vx_host." #name ",comdat\n" \
            "vx_host_name." #name ": .asciz \"" #name "\"\n"                            \
            ".popsection\n")

#endif
