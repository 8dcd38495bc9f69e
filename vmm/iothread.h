/*
 * iothread.h - the VMM's one I/O thread: it sleeps in epoll_wait on the
 * eventfds that KVM signals (ioeventfds: a guest wrote a notify address)
 * and runs the device callback registered for each. The vCPU thread never
 * waits for device work, and a notify costs the guest only the exit into
 * the kernel, not a trip to userspace.
 */
#ifndef VMM_IOTHREAD_H
#define VMM_IOTHREAD_H

#include <stddef.h>

typedef void iothread_fn(void *opaque);

/* Registers fd (an eventfd) with its callback; before iothread_start. */
int iothread_add(int fd, iothread_fn *fn, void *opaque);
/* Starts the thread if anything was registered. 0, or -1 with err. */
int iothread_start(char *err, size_t errlen);
/* Stops the thread and waits for it (at VM end). */
void iothread_stop(void);

#endif
