/* vx-expect: 132 invalid instruction */
/* vx-expect-without ospke: 139 page fault */
/* vx-native: 139 */
/* xsave of every component the guest has, 64 bytes before the end of mapped
 * memory: natively the CPU faults. vx refuses xsave outright where the OS
 * puts PKRU in XCR0 (ospke: a guest's xrstor could rewrite the protection
 * keys); elsewhere the xsave runs confined and faults at the edge, as natively. */
#include "escape.inc"
_start:
        PAGE_BEFORE_A_HOLE
        mov $0xe7, %eax                 /* x87, SSE, AVX, AVX-512 */
        xor %edx, %edx
        xsave 4096-64(%esi)
        ESCAPED
