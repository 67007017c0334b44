/*
 * Serial input: polled from the UART, it belongs to Dom0 until CTRL-a is typed three times,
 * which hands it to the hypervisor's debug keys (and back), as in Xen.
 */
#ifndef KUMO_KEYHANDLER_H
#define KUMO_KEYHANDLER_H

/* Starts polling the serial port on the boot CPU. After timers work. */
void console_input_init(void);

/*
 * Where input goes while it is not switched to the hypervisor; NULL drops it. The Dom0
 * console hook registers itself here.
 */
void console_set_dom0_input(void (*sink)(char c));

/* Runs the debug key c's handler (serial input, XEN_SYSCTL_debug_keys). */
void handle_keypress(char c);

#endif
