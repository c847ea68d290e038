/* vx-expect: 132 invalid instruction */
/* vx-native: 139 */
/* xsave of every component the guest has, 64 bytes before the end of mapped
 * memory: natively the CPU faults. vx refuses xsave outright where the OS
 * puts PKRU in XCR0 (a guest's xrstor could rewrite the protection keys),
 * as on these machines. */
#include "escape.inc"
_start:
        PAGE_BEFORE_A_HOLE
        mov $0xe7, %eax                 /* x87, SSE, AVX, AVX-512 */
        xor %edx, %edx
        xsave 4096-64(%esi)
        ESCAPED
