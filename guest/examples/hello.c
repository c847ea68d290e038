/* The bundled example: greets, then shows its arguments came through. */
#include "vxguest.h"

int main(int argc, char** argv) {
    vx_puts("Hello from inside the vx sandbox!\n");
    for (int i = 1; i < argc; ++i) {
        vx_puts("  argument: ");
        vx_puts(argv[i]);
        vx_puts("\n");
    }
    return 0;
}
