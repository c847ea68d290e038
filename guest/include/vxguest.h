/* A tiny freestanding runtime for i386 guest programs built with
 * `gcc -m32 -static -nostdlib`: Linux syscalls through int $0x80 and a few
 * printing helpers. Link guest/runtime/start.S for _start. */
#ifndef VXGUEST_H
#define VXGUEST_H

typedef unsigned int u32;
typedef unsigned long long u64;

#ifdef __x86_64__
/* Built for x86-64 (bench/'s native reference builds): the same calls through
 * `syscall` with x86-64 numbers. */
static inline long vx_syscall3(long nr, long a, long b, long c) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return ret;
}
enum { VX_SYS_READ = 0, VX_SYS_WRITE = 1, VX_SYS_EXIT = 60 };
#else
static inline long vx_syscall3(long nr, long a, long b, long c) {
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return ret;
}
enum { VX_SYS_READ = 3, VX_SYS_WRITE = 4, VX_SYS_EXIT = 1 };
#endif

static inline int vx_write(int fd, const void* buf, u32 len) { return (int)vx_syscall3(VX_SYS_WRITE, fd, (long)buf, (long)len); }
static inline int vx_read(int fd, void* buf, u32 len) { return (int)vx_syscall3(VX_SYS_READ, fd, (long)buf, (long)len); }
static inline __attribute__((noreturn)) void vx_exit(int status) {
    for (;;) vx_syscall3(VX_SYS_EXIT, status, 0, 0);
}

static inline u32 vx_strlen(const char* s) { u32 n = 0; while (s[n]) ++n; return n; }
static inline void vx_puts(const char* s) { vx_write(1, s, vx_strlen(s)); }

static inline void vx_put_u64(u64 v) {
    char buf[24];
    int i = 23;
    buf[i] = 0;
    do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    vx_puts(buf + i);
}
static inline void vx_put_hex(u32 v) {
    char buf[11] = "0x";
    for (int i = 0; i < 8; ++i) buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
    buf[10] = 0;
    vx_puts(buf);
}
/* Prints "name=value\n": the output both native and vx runs are compared on. */
static inline void vx_report(const char* name, u64 value) {
    vx_puts(name); vx_puts("="); vx_put_u64(value); vx_puts("\n");
}
static inline void vx_report_hex(const char* name, u32 value) {
    vx_puts(name); vx_puts("="); vx_put_hex(value); vx_puts("\n");
}

int main(int argc, char** argv);

#endif
