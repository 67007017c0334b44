/* The PVH entry note both entry files carry: Xen's builders find the 32-bit entry here. */
    .section .note.Xen, "a"
    .balign 4
    .long 4                             /* namesz */
    .long 4                             /* descsz */
    .long 18                            /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long _start32
