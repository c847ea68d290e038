# String instructions: with 32-bit addresses and no segment override they
# run inline on host addresses (rep ones after a check that the range stays
# in the first 4 GiB, else they leave for the host's emulation); with a
# ds/ss/es override the host emulates them; with an fs/gs override or a
# 16-bit address size the policy refuses them.
        .text
        rep movsb
        rep stosl
        rep movsw
        repne scasw
        movsw
        lodsb
        repne scasb
        repe cmpsl
        rep movsb %ss:(%esi), %es:(%edi)
        lodsl %es:(%esi)
        rep movsb %fs:(%esi), %es:(%edi)
        addr16 stosb
        ret
