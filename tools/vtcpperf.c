// SPDX-License-Identifier: GPL-2.0
/*
 * vtcpperf: one benchmark program for vtcp and Linux TCP. Both ends run
 * this same code; only the protocol number differs.
 *
 *   vtcpperf -s [-6] [-P PROTO] [-B ADDR] [-p PORT] [-L PORTS] [-T THREADS]
 *            [-D]
 *   vtcpperf -c HOST -m MODE [-6] [-P PROTO] [-p PORT] [-L PORTS] [-t SECS]
 *            [-n N] [-k N] [-R] [-w SECS] [-l BYTES]
 *
 * PROTO is "vtcp" (253, the default), "tcp" (6) or a number. HOST and
 * ADDR are numeric; the sockets are AF_INET6 with -6 or when HOST or ADDR
 * is an IPv6 address (fe80::1%eth0 with its scope), AF_INET otherwise.
 * With -6, an IPv4 HOST or ADDR is used v4-mapped (::ffff:10.0.0.1), and
 * the server without -B listens on [::], which takes IPv4 too unless
 * net.ipv6.bindv6only says otherwise (no IPV6_V6ONLY is set). The server
 * listens on PORTS consecutive ports from PORT (default 5201, 4 ports),
 * with THREADS epoll loops (default 2), and serves every client mode.
 * With -D it accepts at the ports after the first only when a client
 * says 'A', so that no connection is accepted while others are being
 * opened. The first byte a client sends says what it wants:
 *   'E'  echo everything until EOF (rr, crr, hold)
 *   'S'  sink: count the bytes until EOF, answer the count (bulk)
 *   'G'  generate: then u32 ms, u32 chunk (big endian); send chunks for ms
 *        milliseconds, then FIN (bulk -R)
 *   'Q'  query: answer u64 accepts so far, u64 CLOCK_MONOTONIC ns (crr)
 *   'A'  accept what waits at the ports after the first, then as 'Q'
 *
 * Client modes print one line of key=value pairs on stdout:
 *   bulk  N streams (-n, default 1) for SECS; the client sends, or with -R
 *         the server sends. Goodput: bytes the receiver got, over the time
 *         from the start until the last byte arrived, in MB (10^6) per s.
 *         With -R, -w W runs W seconds more, first, and counts only the
 *         bytes that arrived in the SECS after them, over SECS: flows
 *         that share a link, started together, measured over the same
 *         window once they have found their shares (the server sends for
 *         W + SECS from the request, and what it sent last still arrives
 *         after the window: the client reads it, uncounted, until EOF).
 *   rr    one connection, 1-byte request and 1-byte response for SECS:
 *         transactions/s and the latency's p50 and p99 in microseconds.
 *   crr   N clients (default 1), each looping connect, 1-byte request,
 *         1-byte response, close for SECS: connections/s, and the
 *         server's accepts/s over the same time.
 *   hold  open N connections one at a time, spread over the ports after
 *         the first, saying 'A' every 1000 and at the end until the server
 *         has accepted them all; print, then on SIGUSR1 close them all,
 *         3000 a second at most (the client closes first, so TIME-WAIT is
 *         on this side), print, and exit on the next SIGUSR1 or on
 *         SIGTERM. With -k K, stop at K connections first: print, and go
 *         on at SIGUSR1.
 * Exit status: 0, or 1 with a message naming what failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../include/uapi/linux/vtcp.h"

#define MAX_PORTS	64
#define MAX_THREADS	64
#define MAX_GENERATORS	256
#define ACCEPT_BATCH	1000	/* connections the server accepts at once */
#define CLOSE_RATE	3000	/* hold: closes per second, at most */
#define BUF_SIZE	(256 * 1024)
#define NODELAY		1	/* TCP_NODELAY and VTCP_NODELAY alike */
#define NSEC		1000000000ULL

struct options {
	int proto;
	int family;
	int server;
	const char *host;
	const char *mode;
	int port;
	int ports;
	int threads;
	double secs;
	double warmup;
	int n;
	int reverse;
	int deferred;
	int checkpoint;
	size_t chunk;
};

static struct options opt = {
	.proto = IPPROTO_VTCP,
	.family = AF_INET,
	.port = 5201,
	.ports = 4,
	.threads = 2,
	.secs = 10,
	.n = 1,
	.chunk = 128 * 1024,
};

static void die(const char *what)
{
	fprintf(stderr, "vtcpperf: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fail(const char *what)
{
	fprintf(stderr, "vtcpperf: %s\n", what);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static double seconds(uint64_t ns)
{
	return ns / 1e9;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static uint32_t get_be32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static void put_u64(unsigned char *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, (uint32_t)v);
}

static uint64_t get_u64(const unsigned char *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* As many file descriptors as the kernel lets root have. */
static void raise_fd_limit(void)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };

	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* HOST or ADDR (none: the wildcard), resolved once by resolve(). */
static struct sockaddr_storage host_addr;
static socklen_t host_addr_len;

static void resolve(void)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *ai;

	/* A colon makes it IPv6; with -6, an IPv4 address is v4-mapped. */
	if (opt.host && strchr(opt.host, ':'))
		opt.family = AF_INET6;
	hints.ai_family = opt.family;
	if (opt.family == AF_INET6)
		hints.ai_flags |= AI_V4MAPPED;
	host_addr.ss_family = opt.family;
	host_addr_len = opt.family == AF_INET6 ? sizeof(struct sockaddr_in6) :
			sizeof(struct sockaddr_in);
	if (!opt.host)
		return;
	if (getaddrinfo(opt.host, NULL, &hints, &ai))
		fail("HOST and ADDR must be numeric IPv4 or IPv6 addresses");
	memcpy(&host_addr, ai->ai_addr, host_addr_len);
	freeaddrinfo(ai);
}

static struct sockaddr_storage sockaddr_of(int port)
{
	struct sockaddr_storage ss = host_addr;

	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	return ss;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = ECONNRESET;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* ---- server ------------------------------------------------------------ */

enum conn_state {
	ST_LISTEN = 'L',
	ST_NEW = 0,
	ST_ECHO = 'E',
	ST_SINK = 'S',
	ST_GEN_HEADER = 'G',
	ST_GENERATE = 'g',
	ST_QUERY = 'Q',
	ST_ACCEPT = 'A',
	ST_DRAIN = 'D',
};

struct conn {
	int fd;
	int state;
	unsigned char hdr[8];
	unsigned int hdr_len;
	uint64_t bytes;
	uint64_t deadline;
	uint32_t chunk;
	char *pend;
	size_t pend_len;
};

struct worker {
	int ep;
	struct conn *gen[MAX_GENERATORS];
	int ngen;
	char buf[BUF_SIZE];
};

static uint64_t accepts;
static struct conn *listeners[MAX_PORTS];

static void watch(struct worker *w, struct conn *c, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(w->ep, op, c->fd, &ev))
		die("epoll_ctl");
}

static void drop_generator(struct worker *w, struct conn *c)
{
	int i;

	for (i = 0; i < w->ngen; i++) {
		if (w->gen[i] == c) {
			w->gen[i] = w->gen[--w->ngen];
			return;
		}
	}
}

static void conn_close(struct worker *w, struct conn *c)
{
	if (c->state == ST_GENERATE)
		drop_generator(w, c);
	close(c->fd);
	free(c->pend);
	free(c);
}

static void serve_accept(struct worker *w, struct conn *l)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK);
		struct conn *c;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				perror("vtcpperf: accept");
			return;
		}
		__atomic_fetch_add(&accepts, 1, __ATOMIC_RELAXED);
		c = calloc(1, sizeof(*c));
		if (!c)
			fail("out of memory");
		c->fd = fd;
		watch(w, c, EPOLL_CTL_ADD, EPOLLIN);
	}
}

/* Send what an echo could not; true once nothing is left. */
static int flush_pending(struct worker *w, struct conn *c)
{
	ssize_t n = send(c->fd, c->pend, c->pend_len,
			 MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	memmove(c->pend, c->pend + n, c->pend_len - n);
	c->pend_len -= n;
	if (c->pend_len)
		return 0;
	watch(w, c, EPOLL_CTL_MOD, EPOLLIN);
	return 1;
}

static int echo(struct worker *w, struct conn *c, const char *data, size_t len)
{
	ssize_t n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0 && errno != EAGAIN)
		return -1;
	if (n < 0)
		n = 0;
	if ((size_t)n == len)
		return 0;
	c->pend = malloc(len - n);
	if (!c->pend)
		fail("out of memory");
	memcpy(c->pend, data + n, len - n);
	c->pend_len = len - n;
	watch(w, c, EPOLL_CTL_MOD, EPOLLOUT);
	return 0;
}

static int answer_count(struct conn *c)
{
	unsigned char reply[8];

	put_u64(reply, c->bytes);
	c->state = ST_DRAIN;
	return write_full(c->fd, reply, sizeof(reply));
}

static int answer_query(struct conn *c)
{
	unsigned char reply[16];

	put_u64(reply, __atomic_load_n(&accepts, __ATOMIC_RELAXED));
	put_u64(reply + 8, now_ns());
	c->state = ST_DRAIN;
	return write_full(c->fd, reply, sizeof(reply));
}

/* Accept what waits at the deferred ports, then answer like a query. */
static int answer_accept(struct worker *w, struct conn *c)
{
	int i;

	for (i = 1; i < opt.ports; i++)
		serve_accept(w, listeners[i]);
	return answer_query(c);
}

static int start_generator(struct worker *w, struct conn *c)
{
	uint32_t ms = get_be32(c->hdr), chunk = get_be32(c->hdr + 4);

	if (w->ngen == MAX_GENERATORS)
		return -1;
	c->chunk = chunk && chunk < BUF_SIZE ? chunk : BUF_SIZE;
	c->deadline = now_ns() + ms * 1000000ULL;
	c->state = ST_GENERATE;
	w->gen[w->ngen++] = c;
	watch(w, c, EPOLL_CTL_MOD, EPOLLIN | EPOLLOUT);
	return 0;
}

static void stop_generator(struct worker *w, struct conn *c)
{
	drop_generator(w, c);
	shutdown(c->fd, SHUT_WR);
	c->state = ST_DRAIN;
	watch(w, c, EPOLL_CTL_MOD, EPOLLIN);
}

static int generate(struct worker *w, struct conn *c)
{
	while (now_ns() < c->deadline) {
		ssize_t n = send(c->fd, w->buf, c->chunk,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
	}
	stop_generator(w, c);
	return 0;
}

/* The first bytes of a connection: what the client wants. */
static int take_header(struct worker *w, struct conn *c, const char *data,
		       size_t len, size_t *used)
{
	size_t need;

	*used = 0;
	if (c->state == ST_NEW) {
		c->state = (unsigned char)data[0];
		*used = 1;
		if (c->state == ST_QUERY)
			return answer_query(c);
		if (c->state == ST_ACCEPT)
			return answer_accept(w, c);
		if (c->state == ST_ECHO)
			*used = 0;	/* the mode byte is echoed too */
		else if (c->state != ST_SINK && c->state != ST_GEN_HEADER)
			return -1;
	}
	if (c->state != ST_GEN_HEADER)
		return 0;
	need = sizeof(c->hdr) - c->hdr_len;
	if (need > len - *used)
		need = len - *used;
	memcpy(c->hdr + c->hdr_len, data + *used, need);
	c->hdr_len += need;
	*used += need;
	if (c->hdr_len == sizeof(c->hdr))
		return start_generator(w, c);
	return 0;
}

/* Bytes from the client, as the connection's state wants them. */
static int take_data(struct worker *w, struct conn *c, ssize_t n)
{
	size_t used = 0;

	if ((c->state == ST_NEW || c->state == ST_GEN_HEADER) &&
	    take_header(w, c, w->buf, n, &used))
		return -1;
	switch (c->state) {
	case ST_ECHO:
		return echo(w, c, w->buf + used, n - used);
	case ST_SINK:
		c->bytes += n - used;
		return 0;
	default:		/* header bytes, drained or generating */
		return 0;
	}
}

static int serve_readable(struct worker *w, struct conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, w->buf, BUF_SIZE, MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (n == 0) {
			if (c->state == ST_SINK && answer_count(c) == 0)
				return 0;
			return -1;	/* EOF: done with this connection */
		}
		if (take_data(w, c, n))
			return -1;
		/* An echo waiting for room reads no more until it is sent. */
		if (c->pend_len || c->state == ST_ECHO)
			return 0;
	}
}

static void serve_event(struct worker *w, struct conn *c, uint32_t events)
{
	int err = 0;

	if (c->state == ST_LISTEN) {
		serve_accept(w, c);
		return;
	}
	if (events & EPOLLOUT) {
		if (c->pend_len)
			err = flush_pending(w, c) < 0;
		else if (c->state == ST_GENERATE)
			err = generate(w, c);
	}
	if (!err && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && !c->pend_len)
		err = serve_readable(w, c);
	if (err)
		conn_close(w, c);
}

static void check_generators(struct worker *w)
{
	uint64_t now = now_ns();
	int i;

	for (i = w->ngen - 1; i >= 0; i--)
		if (now >= w->gen[i]->deadline)
			stop_generator(w, w->gen[i]);
}

static void *serve(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[64];

	for (;;) {
		int n = epoll_wait(w->ep, ev, 64, w->ngen ? 10 : -1), i;

		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++)
			serve_event(w, ev[i].data.ptr, ev[i].events);
		check_generators(w);
	}
	return NULL;
}

static struct conn *open_listener(int port)
{
	struct sockaddr_storage ss = sockaddr_of(port);
	struct conn *l = calloc(1, sizeof(*l));
	int one = 1;

	if (!l)
		fail("out of memory");
	l->state = ST_LISTEN;
	l->fd = socket(opt.family, SOCK_STREAM | SOCK_NONBLOCK, opt.proto);
	if (l->fd < 0)
		die("socket");
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	if (bind(l->fd, (struct sockaddr *)&ss, host_addr_len))
		die("bind");
	if (listen(l->fd, 4096))
		die("listen");
	return l;
}

static void run_server(void)
{
	int i, j, watched = opt.deferred ? 1 : opt.ports;
	pthread_t tid;

	for (i = 0; i < opt.ports; i++)
		listeners[i] = open_listener(opt.port + i);
	for (i = 0; i < opt.threads; i++) {
		struct worker *w = calloc(1, sizeof(*w));

		if (!w)
			fail("out of memory");
		w->ep = epoll_create1(0);
		if (w->ep < 0)
			die("epoll_create1");
		for (j = 0; j < watched; j++)
			watch(w, listeners[j], EPOLL_CTL_ADD,
			      EPOLLIN | EPOLLEXCLUSIVE);
		if (i == opt.threads - 1)
			serve(w);
		if (pthread_create(&tid, NULL, serve, w))
			fail("pthread_create failed");
	}
}

/* ---- client ------------------------------------------------------------ */

/* Connect to the server's port PORT + idx; -1 with errno on failure. */
static int connect_to(int idx)
{
	struct sockaddr_storage ss = sockaddr_of(opt.port + idx);
	int fd = socket(opt.family, SOCK_STREAM, opt.proto), err;

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, host_addr_len) == 0)
		return fd;
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

static int connect_or_die(int idx)
{
	int fd = connect_to(idx);

	if (fd < 0)
		die("connect");
	return fd;
}

static void set_nodelay(int fd)
{
	int one = 1;

	/* Level and name are TCP's or vtcp's: the protocol number, 1. */
	setsockopt(fd, opt.proto, NODELAY, &one, sizeof(one));
}

/* Run fn(arg + i * size) in n threads and wait for them all. */
static void run_threads(int n, void *(*fn)(void *), void *arg, size_t size)
{
	pthread_t tid[MAX_THREADS];
	int i;

	for (i = 0; i < n; i++)
		if (pthread_create(&tid[i], NULL, fn, (char *)arg + i * size))
			fail("pthread_create failed");
	for (i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
}

struct stream {
	int fd;
	pthread_barrier_t *go;
	uint64_t start;
	uint64_t from;		/* -w: the window counted, from ... */
	uint64_t to;		/* ... to */
	uint64_t end;
	uint64_t bytes;
};

static void bulk_send(struct stream *s, const char *buf)
{
	uint64_t deadline = s->start + opt.secs * NSEC;
	unsigned char reply[8];

	if (write_full(s->fd, "S", 1))
		die("send");
	while (now_ns() < deadline)
		if (write_full(s->fd, buf, opt.chunk))
			die("send");
	if (shutdown(s->fd, SHUT_WR) || read_full(s->fd, reply, sizeof(reply)))
		die("reading the receiver's count");
	s->bytes = get_u64(reply);
}

static void bulk_receive(struct stream *s, char *buf)
{
	unsigned char hdr[9] = { 'G' };
	ssize_t n;

	put_be32(hdr + 1, (opt.secs + opt.warmup) * 1000);
	put_be32(hdr + 5, opt.chunk);
	if (write_full(s->fd, hdr, sizeof(hdr)))
		die("send");
	while ((n = recv(s->fd, buf, BUF_SIZE, 0)) != 0) {
		if (n < 0 && errno != EINTR)
			die("recv");
		if (n > 0 && opt.warmup) {
			uint64_t now = now_ns();

			if (now >= s->from && now < s->to)
				s->bytes += n;
		} else if (n > 0) {
			s->bytes += n;
		}
	}
}

static void *bulk_stream(void *arg)
{
	struct stream *s = arg;
	char *buf = calloc(1, BUF_SIZE);

	if (!buf)
		fail("out of memory");
	pthread_barrier_wait(s->go);
	s->start = now_ns();
	s->from = s->start + (uint64_t)(opt.warmup * NSEC);
	s->to = s->from + (uint64_t)(opt.secs * NSEC);
	if (opt.reverse)
		bulk_receive(s, buf);
	else
		bulk_send(s, buf);
	s->end = now_ns();
	close(s->fd);
	free(buf);
	return NULL;
}

static void run_bulk(void)
{
	struct stream s[MAX_THREADS] = { 0 };
	pthread_barrier_t go;
	uint64_t start = UINT64_MAX, end = 0, bytes = 0;
	double secs;
	int i;

	pthread_barrier_init(&go, NULL, opt.n);
	for (i = 0; i < opt.n; i++) {
		s[i].fd = connect_or_die(0);
		s[i].go = &go;
	}
	run_threads(opt.n, bulk_stream, s, sizeof(s[0]));
	for (i = 0; i < opt.n; i++) {
		start = s[i].start < start ? s[i].start : start;
		end = s[i].end > end ? s[i].end : end;
		bytes += s[i].bytes;
	}
	secs = opt.warmup ? opt.secs : seconds(end - start);
	printf("mode=bulk proto=%d dir=%s streams=%d secs=%.3f bytes=%llu MBps=%.3f",
	       opt.proto, opt.reverse ? "server-sends" : "client-sends", opt.n,
	       secs, (unsigned long long)bytes, bytes / secs / 1e6);
	if (opt.warmup)
		printf(" warmup=%.3f", opt.warmup);
	printf("\n");
}

static int by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double percentile_us(uint32_t *ns, size_t n, double p)
{
	size_t i = (size_t)(p * (n - 1) + 0.5);

	return n ? ns[i] / 1e3 : 0;
}

/* One 1-byte request, its 1-byte response; the time it took, in ns. */
static uint32_t request_response(int fd)
{
	uint64_t t = now_ns();
	char byte = 'E';

	if (write_full(fd, &byte, 1) || read_full(fd, &byte, 1))
		die("rr request/response");
	t = now_ns() - t;
	return t > UINT32_MAX ? UINT32_MAX : t;
}

static void run_rr(void)
{
	size_t n = 0, cap = 1 << 16;
	uint32_t *lat = malloc(cap * sizeof(*lat));
	uint64_t start, deadline, end;
	int fd = connect_or_die(0);

	if (!lat)
		fail("out of memory");
	set_nodelay(fd);
	request_response(fd);	/* the mode byte: echo from here on */
	start = now_ns();
	deadline = start + opt.secs * NSEC;
	do {
		if (n == cap) {
			cap *= 2;
			lat = realloc(lat, cap * sizeof(*lat));
			if (!lat)
				fail("out of memory");
		}
		lat[n++] = request_response(fd);
		end = now_ns();
	} while (end < deadline);
	close(fd);
	qsort(lat, n, sizeof(*lat), by_value);
	printf("mode=rr proto=%d secs=%.3f transactions=%zu tps=%.1f p50_us=%.1f p99_us=%.1f\n",
	       opt.proto, seconds(end - start), n, n / seconds(end - start),
	       percentile_us(lat, n, 0.50), percentile_us(lat, n, 0.99));
	free(lat);
}

struct crr_client {
	int id;
	uint64_t deadline;
	uint64_t conns;
	int err;
};

/* Connect, 1-byte request, 1-byte response, close; errno on failure. */
static int crr_once(int idx)
{
	int fd = connect_to(idx % opt.ports), err;
	char byte = 'E';

	if (fd < 0)
		return errno;
	err = write_full(fd, &byte, 1) || read_full(fd, &byte, 1) ? errno : 0;
	close(fd);
	return err;
}

static void *crr_loop(void *arg)
{
	struct crr_client *c = arg;
	int idx = c->id;

	while (now_ns() < c->deadline) {
		c->err = crr_once(idx);
		if (c->err)
			break;
		c->conns++;
		idx += opt.n;
	}
	return NULL;
}

/* Connections made by ask(): the server counts them as accepts too. */
static uint64_t asked;

/* The server's accept count and clock, after command 'Q' or 'A'. */
static void ask(const char *cmd, uint64_t *acc, uint64_t *ns)
{
	unsigned char reply[16];
	int fd = connect_or_die(0);

	asked++;
	if (write_full(fd, cmd, 1) || read_full(fd, reply, sizeof(reply)))
		die("query");
	close(fd);
	*acc = get_u64(reply);
	*ns = get_u64(reply + 8);
}

static void query(uint64_t *acc, uint64_t *ns)
{
	ask("Q", acc, ns);
}

static void run_crr(void)
{
	struct crr_client c[MAX_THREADS] = { 0 };
	uint64_t a0, t0, a1, t1, start, end, conns = 0;
	int i, err = 0;

	query(&a0, &t0);
	start = now_ns();
	for (i = 0; i < opt.n; i++) {
		c[i].id = i;
		c[i].deadline = start + opt.secs * NSEC;
	}
	run_threads(opt.n, crr_loop, c, sizeof(c[0]));
	end = now_ns();
	query(&a1, &t1);
	for (i = 0; i < opt.n; i++) {
		conns += c[i].conns;
		err = err ? err : c[i].err;
	}
	if (err) {
		errno = err;
		die("crr connection");
	}
	/* a1 counts the second query's own accept. */
	printf("mode=crr proto=%d clients=%d secs=%.3f conns=%llu per_s=%.1f ",
	       opt.proto, opt.n, seconds(end - start),
	       (unsigned long long)conns, conns / seconds(end - start));
	printf("accepts=%llu accepts_per_s=%.1f\n",
	       (unsigned long long)(a1 - a0 - 1),
	       (a1 - a0 - 1) / seconds(t1 - t0));
}

/* Hold connections go to the ports after the first, if there are any. */
static int hold_port(int i)
{
	return opt.ports > 1 ? 1 + i % (opt.ports - 1) : 0;
}

/*
 * Open connections [from, to), one at a time, and have the server accept
 * them every ACCEPT_BATCH: no accept() runs while a SYN is on its way to
 * the same listener. The time it took.
 */
static double hold_range(int *fds, int from, int to)
{
	uint64_t t = now_ns(), acc, ns;
	int i;

	for (i = from; i < to; i++) {
		fds[i] = connect_or_die(hold_port(i));
		if ((i + 1) % ACCEPT_BATCH == 0)
			ask("A", &acc, &ns);
	}
	return seconds(now_ns() - t);
}

/*
 * Wait until the server has accepted the @n connections opened since the
 * query that said @a0, besides those of our own questions.
 */
static void wait_accepted(uint64_t a0, uint64_t asked0, int n)
{
	uint64_t acc, ns;

	for (;;) {
		ask("A", &acc, &ns);
		if (acc - a0 >= (uint64_t)n + asked - asked0)
			return;
		usleep(100000);
	}
}

/*
 * Close them all, CLOSE_RATE a second at most: both sides' closes then
 * keep up, under TCG too. Faster, segments queue for longer than the
 * RTO, and TCP's orphans resend FINs until they give up (6.1).
 */
static void close_paced(int *fds, int n)
{
	uint64_t t = now_ns();
	int i;

	for (i = 0; i < n; i++) {
		uint64_t due = t + (uint64_t)i * NSEC / CLOSE_RATE, now = now_ns();

		if (due > now)
			usleep((due - now) / 1000);
		close(fds[i]);
	}
}

static void hold_report(const char *state, int n, double secs,
			sigset_t *set)
{
	int sig;

	printf("mode=hold proto=%d state=%s n=%d secs=%.3f\n",
	       opt.proto, state, n, secs);
	fflush(stdout);
	if (sigwait(set, &sig) || sig == SIGTERM)
		exit(0);
}

static void run_hold(void)
{
	int *fds = calloc(opt.n, sizeof(*fds)), step = opt.n;
	uint64_t a0, asked0, ns, t;
	sigset_t set;
	double secs;

	if (!fds)
		fail("out of memory");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	query(&a0, &ns);
	asked0 = asked;
	if (opt.checkpoint && opt.checkpoint < opt.n) {
		step = opt.checkpoint;
		secs = hold_range(fds, 0, step);
		wait_accepted(a0, asked0, step);
		hold_report("established", step, secs, &set);
	}
	secs = hold_range(fds, step == opt.n ? 0 : step, opt.n);
	wait_accepted(a0, asked0, opt.n);
	alarm(0);
	hold_report("established", opt.n, secs, &set);
	t = now_ns();
	close_paced(fds, opt.n);
	hold_report("closed", opt.n, seconds(now_ns() - t), &set);
	free(fds);
}

/* ---- main ---------------------------------------------------------------- */

static void bad_usage(void)
{
	fprintf(stderr,
		"usage: vtcpperf -s [-6] [-P PROTO] [-B ADDR] [-p PORT] [-L PORTS] [-T THREADS]\n"
		"                [-D]\n"
		"       vtcpperf -c HOST -m bulk|rr|crr|hold [-6] [-P PROTO] [-p PORT]\n"
		"                [-L PORTS] [-t SECS] [-n N] [-k N] [-R] [-w SECS] [-l BYTES]\n"
		"PROTO: vtcp (253, default), tcp (6) or a number\n"
		"-6: IPv6 (AF_INET6), also when HOST or ADDR is an IPv6 address\n");
	exit(2);
}

static int protocol(const char *s)
{
	if (!strcmp(s, "vtcp"))
		return IPPROTO_VTCP;
	if (!strcmp(s, "tcp"))
		return IPPROTO_TCP;
	return atoi(s);
}

static int number(const char *s, int min, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < min || v > max)
		bad_usage();
	return v;
}

static void parse(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "sc:m:P:B:p:L:T:t:n:k:DRw:l:6h")) != -1) {
		switch (c) {
		case 's':
			opt.server = 1;
			break;
		case '6':
			opt.family = AF_INET6;
			break;
		case 'c':
			opt.host = optarg;
			break;
		case 'B':
			opt.host = optarg;
			break;
		case 'm':
			opt.mode = optarg;
			break;
		case 'P':
			opt.proto = protocol(optarg);
			break;
		case 'p':
			opt.port = number(optarg, 1, 65535);
			break;
		case 'L':
			opt.ports = number(optarg, 1, MAX_PORTS);
			break;
		case 'T':
			opt.threads = number(optarg, 1, MAX_THREADS);
			break;
		case 't':
			opt.secs = atof(optarg);
			break;
		case 'n':
			opt.n = number(optarg, 1, 1 << 20);
			break;
		case 'k':
			opt.checkpoint = number(optarg, 1, 1 << 20);
			break;
		case 'D':
			opt.deferred = 1;
			break;
		case 'R':
			opt.reverse = 1;
			break;
		case 'w':
			opt.warmup = atof(optarg);
			break;
		case 'l':
			opt.chunk = number(optarg, 1, BUF_SIZE);
			break;
		default:
			bad_usage();
		}
	}
	if (optind != argc || opt.proto < 1 || opt.proto > 255 ||
	    opt.secs <= 0 || opt.port + opt.ports > 65536 || opt.warmup < 0)
		bad_usage();
	/* Only a receiving client knows when its bytes arrived. */
	if (opt.warmup && (opt.server || !opt.reverse || !opt.mode ||
			   strcmp(opt.mode, "bulk")))
		bad_usage();
	if (!opt.server && (!opt.host || !opt.mode))
		bad_usage();
	resolve();
}

int main(int argc, char **argv)
{
	parse(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	raise_fd_limit();
	if (opt.server) {
		run_server();
		return 0;
	}
	/* A stalled measurement ends the program rather than the bench. */
	alarm(strcmp(opt.mode, "hold") ?
	      (unsigned int)(opt.secs + opt.warmup) * 2 + 60 : 1800);
	if (!strcmp(opt.mode, "bulk") && opt.n <= MAX_THREADS)
		run_bulk();
	else if (!strcmp(opt.mode, "rr"))
		run_rr();
	else if (!strcmp(opt.mode, "crr") && opt.n <= MAX_THREADS)
		run_crr();
	else if (!strcmp(opt.mode, "hold"))
		run_hold();
	else
		bad_usage();
	return 0;
}
