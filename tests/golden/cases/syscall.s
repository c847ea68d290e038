# int $0x80 leaves for the host with eip past it; int3 and the instructions
# the policy refuses leave with their own codes.
        .text
        mov $4, %eax
        int $0x80
        int3
        hlt
        ud2
