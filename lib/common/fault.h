/* Fault injection for test builds (-Dfault_injection=true).  Hidden from
 * the installed library's ABI: only the static test library has it. */
#ifndef SYMCLONE_FAULT_H
#define SYMCLONE_FAULT_H

void sym_fault_fail_at(long k);
long sym_fault_allocations(void);

#endif
