/*
 * iothread.c - see iothread.h.
 *
 * Callbacks are stored in a small table and their index rides in the
 * epoll event's data. Each callback reads its eventfd itself (a count of
 * notifies since the last read) and then does all the work pending, so
 * notifies that arrive while it runs are never lost: the next read sees
 * them. Stopping uses one more eventfd, so no signal is needed.
 */
#include "iothread.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "errmsg.h"
#include "trace.h"

#define IOTHREAD_MAX 1024 /* 8 disks of 64 queues, an rng, the pci-testdev: and room */

static struct {
	int fd;
	iothread_fn *fn;
	void *opaque;
} handlers[IOTHREAD_MAX];
static unsigned nr_handlers;
static int stop_fd = -1, epoll_fd = -1;
static pthread_t thread;
static bool running;

int iothread_add(int fd, iothread_fn *fn, void *opaque)
{
	if (nr_handlers == IOTHREAD_MAX || running) {
		errno = ENOSPC;
		return -1;
	}
	handlers[nr_handlers++] = (typeof(handlers[0])){ fd, fn, opaque };
	return 0;
}

/* Set once the thread is in its loop: the C library's thread start-up
 * (rseq, robust list...) is over before the sandbox narrows its calls. */
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cond = PTHREAD_COND_INITIALIZER;
static bool started;

static void *iothread_main(void *arg)
{
	struct epoll_event ev[16];

	trace_thread("iothread");
	pthread_mutex_lock(&start_lock);
	started = true;
	pthread_cond_signal(&start_cond);
	pthread_mutex_unlock(&start_lock);

	for (;;) {
		int n = epoll_wait(epoll_fd, ev, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("vmm: iothread: epoll_wait");
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u32 == IOTHREAD_MAX)
				return NULL; /* stop */
			handlers[ev[i].data.u32].fn(handlers[ev[i].data.u32].opaque);
		}
	}
}

int iothread_start(char *err, size_t errlen)
{
	if (!nr_handlers)
		return 0;
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	stop_fd = eventfd(0, EFD_CLOEXEC);
	if (epoll_fd < 0 || stop_fd < 0)
		return errmsg(err, errlen, "I/O thread: %s: %s", epoll_fd < 0 ? "epoll_create1" : "eventfd",
			      strerror(errno));
	struct epoll_event e = { .events = EPOLLIN, .data.u32 = IOTHREAD_MAX };
	if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, stop_fd, &e) < 0)
		return errmsg(err, errlen, "I/O thread: epoll_ctl: %s", strerror(errno));
	for (unsigned i = 0; i < nr_handlers; i++) {
		e.data.u32 = i;
		if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, handlers[i].fd, &e) < 0)
			return errmsg(err, errlen, "I/O thread: epoll_ctl of eventfd %d: %s", handlers[i].fd,
				      strerror(errno));
	}
	/* The thread takes no signals: SIGALRM (--timeout) must interrupt the
	 * vCPU's KVM_RUN, not this thread's epoll_wait. SIGSYS excepted, so
	 * that a sandbox violation here is named (sandbox.c). */
	sigset_t all, old;
	sigfillset(&all);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = pthread_create(&thread, NULL, iothread_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return errmsg(err, errlen, "I/O thread: pthread_create: %s", strerror(r));
	pthread_mutex_lock(&start_lock); /* until it is in its loop */
	while (!started)
		pthread_cond_wait(&start_cond, &start_lock);
	pthread_mutex_unlock(&start_lock);
	running = true;
	return 0;
}

void iothread_stop(void)
{
	uint64_t one = 1;

	if (!running)
		return;
	if (write(stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(thread, NULL);
	running = false;
}
