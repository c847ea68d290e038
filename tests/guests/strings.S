/* String instructions: rep movs/stos (both directions, overlapping), lods,
 * repne scas, repe cmps, and single ones in both directions with the flags
 * they set; prints the results as hex words. Exits 0. */
        .text
        .globl _start
_start:
        cld
        /* rep stosl: fill dst with 0x11223344 x 16 */
        mov $dst, %edi
        mov $0x11223344, %eax
        mov $16, %ecx
        rep stosl
        mov %edi, %eax
        sub $dst, %eax
        call report          /* 64 */
        /* rep movsb: copy text into dst */
        mov $text, %esi
        mov $dst, %edi
        mov $text_len, %ecx
        rep movsb
        mov dst, %eax
        call report          /* first 4 bytes of text */
        /* overlapping forward movsb replicates the first byte */
        mov $dst, %esi
        lea 1(%esi), %edi
        mov $8, %ecx
        rep movsb
        mov dst+4, %eax
        call report
        /* backwards: std; rep movsl */
        std
        mov $text+12, %esi
        mov $dst+12, %edi
        mov $4, %ecx
        rep movsl
        cld
        mov %esi, %eax
        sub $text, %eax
        call report
        /* repne scasb: find 'q' */
        mov $text, %edi
        mov $'q', %al
        mov $text_len, %ecx
        repne scasb
        pushf
        mov %edi, %eax
        sub $text, %eax
        call report
        pop %eax
        and $0x8d5, %eax
        call report          /* flags after the scan */
        /* repe cmpsb: compare text with itself shifted */
        mov $text, %esi
        mov $text2, %edi
        mov $text_len, %ecx
        repe cmpsb
        pushf
        mov %ecx, %eax
        call report
        pop %eax
        and $0x8d5, %eax
        call report
        /* lodsw */
        mov $text, %esi
        xor %eax, %eax
        lodsw
        call report
        /* single stosb with DF=1 */
        std
        mov $dst+10, %edi
        mov $0x7a, %al
        stosb
        cld
        mov %edi, %eax
        sub $dst, %eax
        call report
        /* single movsb backwards: the byte moves, both pointers step down */
        std
        mov $text+4, %esi
        mov $dst+100, %edi
        movsb
        cld
        mov %esi, %eax
        sub $text, %eax
        call report
        movzbl dst+100, %eax
        call report
        /* single cmpsw and scasl set the flags of their comparison */
        mov $text, %esi
        mov $text2, %edi
        cmpsw
        pushf
        pop %eax
        and $0x8d5, %eax
        call report
        mov $text, %edi
        mov $0x20656874, %eax   /* "the " */
        scasl
        pushf
        pop %eax
        and $0x8d5, %eax
        call report
        mov %edi, %eax
        sub $text, %eax
        call report
        /* repe cmpsl with ecx 0: nothing compared, the flags stay as they were */
        xor %ecx, %ecx
        mov $text, %esi
        mov $text2, %edi
        stc
        repe cmpsl
        pushf
        pop %eax
        and $0x8d5, %eax
        call report
        /* rep lodsb: al ends as the last byte, esi past it */
        mov $5, %ecx
        mov $text, %esi
        rep lodsb
        call report
        mov %esi, %eax
        sub $text, %eax
        call report
        /* stosw and lodsd forwards */
        mov $dst+200, %edi
        mov $0xbeef, %ax
        stosw
        mov $dst+200, %esi
        lodsl
        call report
        mov $1, %eax
        xor %ebx, %ebx
        int $0x80

#include "report.inc"

        .data
text:   .ascii "the quick brown fox jumps"
        text_len = . - text
text2:  .ascii "the quick brOwn fox jumps"
        .bss
dst:    .space 256
        .section .note.GNU-stack,"",@progbits
