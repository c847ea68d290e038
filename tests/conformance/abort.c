/* abort(): glibc raises SIGABRT at itself; the process dies of it (134). */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    printf("about to abort\n");
    fflush(stdout);
    abort();
}
