/* The serial console driver (drivers/uart.c). */
#ifndef KUMO_UART_H
#define KUMO_UART_H

/* Programs COM1 per the command line and registers it as a console sink. */
void uart_init(void);
/* Returns the next received byte, or -1 when none is waiting. */
int uart_getc(void);

#endif
