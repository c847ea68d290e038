/* config.h for liblzma in vxa's xz decoder (guest/vxa/xz_decoder.c), in
 * place of the one configure writes: a freestanding build (gcc -m32, or
 * x86-64 for the native baseline) with no threads and only what decoding
 * .xz needs. guest/vxa/build-decoders.sh compiles the matching sources. */

/* The .xz decoders: LZMA1 and LZMA2, delta, the BCJ filters. */
#define HAVE_DECODERS 1
#define HAVE_DECODER_LZMA1 1
#define HAVE_DECODER_LZMA2 1
#define HAVE_DECODER_DELTA 1
#define HAVE_DECODER_X86 1
#define HAVE_DECODER_POWERPC 1
#define HAVE_DECODER_IA64 1
#define HAVE_DECODER_ARM 1
#define HAVE_DECODER_ARMTHUMB 1
#define HAVE_DECODER_ARM64 1
#define HAVE_DECODER_SPARC 1

/* The integrity checks .xz streams use; SHA-256 is liblzma's own. */
#define HAVE_CHECK_CRC32 1
#define HAVE_CHECK_CRC64 1
#define HAVE_CHECK_SHA256 1

/* No threads (MYTHREAD_ENABLED unset), no symbol versions, no CLMUL CRC64
 * (it needs cpuid and a constructor; a plug-in runs no constructors), the
 * table-driven CRCs (not HAVE_SMALL). */
#define NDEBUG 1

/* The compiler and the headers the freestanding build has. */
#define HAVE_STDBOOL_H 1
#define HAVE__BOOL 1
#define HAVE_STDINT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_UINTPTR_T 1
#define HAVE___BUILTIN_BSWAPXX 1
#define HAVE___BUILTIN_ASSUME_ALIGNED 1
#define HAVE_VISIBILITY 0

/* x86: little endian, unaligned access is fast. */
#define TUKLIB_FAST_UNALIGNED_ACCESS 1
#if defined(__x86_64__)
#define SIZEOF_SIZE_T 8
#elif defined(__i386__)
#define SIZEOF_SIZE_T 4
#else
#error "vxa's liblzma config is for i386 and x86-64"
#endif
