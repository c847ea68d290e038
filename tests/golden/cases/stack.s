# push and pop (register, immediate, memory, esp itself), pushfd/popfd,
# pushad/popad, enter/leave, call and ret (with and without an immediate).
# Each store happens before esp moves, so a fault leaves esp as it was.
        .text
        push %eax
        push $0x1234
        push 8(%ebx)
        push %esp
        pop %ecx
        pop 4(%esp)
        pop %esp
        pushf
        popf
        pusha
        popa
        enter $16, $0
        leave
        call callee
        ret $8
callee:
        ret
