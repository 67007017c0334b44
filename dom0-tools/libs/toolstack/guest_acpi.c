/*
 * The ACPI tables every guest gets (RSDP, XSDT, FADT, DSDT, MADT): the hypervisor's own
 * builder for boot domains, pure logic, compiled here too so that domains built from Dom0
 * see exactly the same tables.
 */
#include "../../../kernel/guest_acpi.c"
