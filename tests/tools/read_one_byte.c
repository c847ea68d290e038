/* Waits for one byte on stdin, so that a test can look at vxrun meanwhile. */
#include <unistd.h>

int main(void) {
    char c;
    return read(0, &c, 1) == 1 ? 0 : 1;
}
