/*
 * 16550 UART console (COM1 by default), configured by Xen's options:
 * console=com1 selects it; com1=<baud>[,<data><parity><stop>][,<io-base>] sets it up.
 */
#include <asm/processor.h>
#include <kumo/console.h>
#include <kumo/param.h>
#include <kumo/uart.h>

#define UART_THR 0          /* transmit holding (DLAB=0) */
#define UART_RBR 0
#define UART_DLL 0          /* divisor latch (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LCR_DLAB 0x80

static struct {
    uint16_t base;
    uint32_t baud;
    uint8_t lcr;            /* data bits, parity, stop bits */
    bool present;
} com1 = { 0x3F8, 115200, 0x03, false };

static bool console_com1 = true;

static int parse_console(const char *s)
{
    /* Only the serial console exists; "vga" and others are accepted and ignored. */
    console_com1 = strstr(s, "com1") != NULL;
    return 0;
}
custom_param("console", parse_console);

static int parse_lcr(const char *s, const char **end)
{
    uint8_t lcr;

    if (s[0] < '5' || s[0] > '8')
        return -1;
    lcr = (uint8_t)(s[0] - '5');
    switch (s[1]) {
    case 'n': break;
    case 'o': lcr |= 0x08; break;
    case 'e': lcr |= 0x18; break;
    case 'm': lcr |= 0x28; break;
    case 's': lcr |= 0x38; break;
    default: return -1;
    }
    if (s[2] == '2')
        lcr |= 0x04;
    else if (s[2] != '1')
        return -1;
    *end = s + 3;
    return lcr;
}

static int parse_com1(const char *s)
{
    const char *end;
    unsigned long long baud = simple_strtoull(s, &end, 10);

    if (end != s) {
        if (baud < 50 || baud > 115200)
            return -22;
        com1.baud = (uint32_t)baud;
        s = end;
    } else if (!strncmp(s, "auto", 4)) {
        s += 4;
    }
    if (*s == '/')          /* Xen's <baud>/<clock-hz>: the clock is the standard one here */
        while (*s && *s != ',')
            s++;
    if (*s == ',' && s[1] != ',' && s[1] != '\0') {
        int lcr = parse_lcr(s + 1, &end);

        if (lcr < 0)
            return -22;
        com1.lcr = (uint8_t)lcr;
        s = end;
    }
    if (*s == ',' && s[1] == ',')
        s++;
    if (*s == ',') {
        unsigned long long io = simple_strtoull(s + 1, &end, 0);

        if (end == s + 1 || io > 0xFFF8)
            return -22;
        com1.base = (uint16_t)io;
    }
    return 0;
}
custom_param("com1", parse_com1);

static void uart_putc(char c)
{
    /* Bounded: a wedged UART must not hang the hypervisor. */
    for (unsigned int i = 0; i < 100000; i++)
        if (inb(com1.base + UART_LSR) & LSR_THRE)
            break;
    outb(com1.base + UART_THR, (uint8_t)c);
}

static void uart_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            uart_putc('\r');
        uart_putc(s[i]);
    }
}

void uart_init(void)
{
    uint16_t div;

    if (!console_com1)
        return;
    /* A missing port floats its status register to all-ones. */
    if (inb(com1.base + UART_LSR) == 0xFF)
        return;
    div = (uint16_t)(115200 / com1.baud);
    outb(com1.base + UART_IER, 0);
    outb(com1.base + UART_LCR, LCR_DLAB);
    outb(com1.base + UART_DLL, div & 0xFF);
    outb(com1.base + UART_DLM, div >> 8);
    outb(com1.base + UART_LCR, com1.lcr);
    outb(com1.base + UART_FCR, 0x07);       /* enable and clear FIFOs */
    outb(com1.base + UART_MCR, 0x03);       /* DTR | RTS */
    com1.present = true;
    console_register_sink(uart_write);
}

int uart_getc(void)
{
    if (!com1.present || !(inb(com1.base + UART_LSR) & LSR_DR))
        return -1;
    return inb(com1.base + UART_RBR);
}
