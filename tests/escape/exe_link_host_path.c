/* vx-expect: 0 */
/* vx-native: escapes */
/* readlink("/proc/self/exe") names the program; natively that is its host
 * path, which opens as the program's own ELF file. Under vx it must be a
 * name in the guest's namespace only: opening it finds nothing (the program
 * lies outside every grant): ENOENT. */
#include "escape.h"

int main(void) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return refused("readlink(/proc/self/exe)", errno, 0);
    exe[n] = '\0';
    fprintf(stderr, "/proc/self/exe -> %s\n", exe);
    int fd = open(exe, O_RDONLY);
    if (fd < 0) return refused("open(the link's target)", errno, ENOENT);
    char magic[4];
    if (read(fd, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0) escaped();
    return gained_nothing("open(the link's target)");
}
