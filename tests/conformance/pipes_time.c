/* A pipe inside one process, poll on it, short sleeps, and stdout redirected
 * into the pipe with dup2. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    int ends[2];
    if (pipe(ends) != 0) { perror("pipe"); return 1; }
    struct pollfd p = {ends[0], POLLIN, 0};
    printf("poll before writing: %d\n", poll(&p, 1, 0));
    write(ends[1], "through the pipe", 16);
    printf("poll after writing: %d revents %s\n", poll(&p, 1, 1000), (p.revents & POLLIN) ? "POLLIN" : "-");
    char buf[32] = {0};
    printf("read %zd: %s\n", read(ends[0], buf, sizeof buf - 1), buf);
    struct pollfd bad = {999, POLLIN, 0};
    printf("poll on a closed fd: %d revents %s\n", poll(&bad, 1, -1), bad.revents & POLLNVAL ? "POLLNVAL" : "-");

    struct timespec before, after, nap = {0, 20 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &before);
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &after);
    long ms = (after.tv_sec - before.tv_sec) * 1000 + (after.tv_nsec - before.tv_nsec) / 1000000;
    printf("slept at least 20 ms: %s\n", ms >= 20 ? "yes" : "no");

    fflush(stdout);
    int saved = dup(1);
    dup2(ends[1], 1);
    printf("into the pipe");
    fflush(stdout);
    dup2(saved, 1);
    memset(buf, 0, sizeof buf);
    read(ends[0], buf, sizeof buf - 1);
    printf("stdout went to the pipe: %s\n", buf);
    return 0;
}
