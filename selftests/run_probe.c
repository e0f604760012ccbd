// SPDX-License-Identifier: GPL-2.0
/*
 * run_probe: a program for selftests/run.py to launch under `vtcp run`,
 * built static when a static libc is there (then it is what Go programs
 * and static binaries are: nothing an LD_PRELOAD library could catch).
 *
 *   run_probe linkage              "static" or "dynamic"
 *   run_probe sockets PROTO        one line per kind of socket: what it is
 *   run_probe serve ADDR PORT      accept one connection, echo it back
 *   run_probe client ADDR PORT N   send N bytes, check they come back
 *   run_probe time N PROTO         nanoseconds per call of a few calls
 *
 * Exit status 0, or 1 with a message on stderr.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RUN_PROBE_STATIC
#define RUN_PROBE_STATIC 0
#endif

static int fail(const char *what)
{
	fprintf(stderr, "run_probe: %s: %s\n", what, strerror(errno));
	return 1;
}

/* One line: NAME protocol=P nonblock=B cloexec=C, or NAME errno=E. */
static void describe(const char *name, int fd)
{
	int proto = -1;
	socklen_t len = sizeof(proto);

	if (fd < 0) {
		printf("%s errno=%d\n", name, errno);
		return;
	}
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len);
	printf("%s protocol=%d nonblock=%d cloexec=%d\n", name, proto,
	       !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
	       !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	close(fd);
}

static int sockets(int proto)
{
	static const struct { const char *name; int fam, type, proto; } k[] = {
		{ "tcp4", AF_INET, SOCK_STREAM, 0 },
		{ "tcp4-ipproto", AF_INET, SOCK_STREAM, IPPROTO_TCP },
		{ "tcp4-nonblock", AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0 },
		{ "tcp4-cloexec", AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0 },
		{ "tcp4-both", AF_INET,
		  SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP },
		{ "tcp6", AF_INET6, SOCK_STREAM, 0 },
		{ "tcp6-ipproto", AF_INET6, SOCK_STREAM, IPPROTO_TCP },
		{ "tcp6-both", AF_INET6,
		  SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0 },
		{ "udp4", AF_INET, SOCK_DGRAM, 0 },
		{ "udp6", AF_INET6, SOCK_DGRAM, IPPROTO_UDP },
		{ "unix", AF_UNIX, SOCK_STREAM, 0 },
		{ "raw4", AF_INET, SOCK_RAW, IPPROTO_RAW },
		{ "netlink", AF_NETLINK, SOCK_RAW, 0 },
		{ "bad-type", AF_INET, SOCK_STREAM | 0x40000, 0 },
	};
	unsigned int i;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
	for (i = 0; i < ARRAY_SIZE(k); i++)
		describe(k[i].name, socket(k[i].fam, k[i].type, k[i].proto));
	/* What a Go program does: the system call, not libc's socket(). */
	describe("tcp4-syscall", syscall(SYS_socket, AF_INET, SOCK_STREAM, 0));
	describe("tcp6-syscall", syscall(SYS_socket, AF_INET6,
					 SOCK_STREAM | SOCK_CLOEXEC, 0));
	describe("vtcp4", socket(AF_INET, SOCK_STREAM, proto));
	describe("vtcp6", socket(AF_INET6, SOCK_STREAM, proto));
	return 0;
}

static int endpoint(const char *addr, const char *port,
		    struct sockaddr_in6 *sa)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET6, addr, &sa->sin6_addr) == 1) {
		sa->sin6_family = AF_INET6;
		sa->sin6_port = htons(atoi(port));
		return AF_INET6;
	}
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		return -1;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(atoi(port));
	return AF_INET;
}

static int serve(const char *addr, const char *port)
{
	struct sockaddr_in6 sa;
	int fam = endpoint(addr, port, &sa), ls, c, one = 1;
	char buf[65536];
	ssize_t n;

	ls = socket(fam, SOCK_STREAM, 0);
	if (ls < 0)
		return fail("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 4))
		return fail("bind/listen");
	printf("listening\n");
	fflush(stdout);
	c = accept(ls, NULL, NULL);
	if (c < 0)
		return fail("accept");
	while ((n = read(c, buf, sizeof(buf))) > 0)
		if (write(c, buf, n) != n)
			return fail("write");
	close(c);
	close(ls);
	return n < 0 ? fail("read") : 0;
}

static char pattern(long i)
{
	return (char)(i * 7 + i / 251);
}

/* Sends @total bytes while reading them back: a full pipe never stalls. */
static int echo_check(int fd, long total)
{
	long sent = 0, got = 0;
	char buf[16384];
	ssize_t n;
	int i;

	while (got < total) {
		if (sent < total) {
			for (i = 0; i < (int)sizeof(buf) && sent + i < total; i++)
				buf[i] = pattern(sent + i);
			n = write(fd, buf, i);
			if (n < 0)
				return fail("write");
			sent += n;
			if (sent == total)
				shutdown(fd, SHUT_WR);
		}
		n = recv(fd, buf, sizeof(buf), sent < total ? MSG_DONTWAIT : 0);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0)
			return n ? fail("read") : (errno = EPIPE, fail("EOF"));
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(got + i))
				return errno = EBADMSG, fail("bytes differ");
		got += n;
	}
	return 0;
}

static int client(const char *addr, const char *port, long total)
{
	struct sockaddr_in6 sa;
	int fam = endpoint(addr, port, &sa), fd, proto = -1;
	socklen_t len = sizeof(proto);

	fd = socket(fam, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return fail("connect");
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len);
	if (echo_check(fd, total))
		return 1;
	printf("echoed %ld bytes protocol=%d\n", total, proto);
	close(fd);
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define ROUNDS 5

/*
 * Nanoseconds per socket()+close() of (@fam, @type, @proto), or per
 * getppid() if @fam is 0: the best of ROUNDS rounds of @n calls, as other
 * guests share the machine's CPUs.
 */
static double time_call(long n, int fam, int type, int proto)
{
	double t0, best = 1e18;
	int r;
	long i;

	for (r = 0; r < ROUNDS; r++) {
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			if (fam)
				close(socket(fam, type, proto));
			else
				syscall(SYS_getppid);
		}
		t0 = (now_ns() - t0) / n;
		if (t0 < best)
			best = t0;
	}
	return best;
}

static int timing(long n, int proto)
{
	printf("socket_tcp %.0f\n", time_call(n, AF_INET, SOCK_STREAM, 0));
	printf("socket_vtcp %.0f\n",
	       time_call(n, AF_INET, SOCK_STREAM, proto));
	printf("socket_udp %.0f\n", time_call(n, AF_INET, SOCK_DGRAM, 0));
	printf("getppid %.0f\n", time_call(n * 10, 0, 0, 0));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "linkage"))
		return !printf("%s\n", RUN_PROBE_STATIC ? "static" : "dynamic");
	if (argc == 3 && !strcmp(argv[1], "sockets"))
		return sockets(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return serve(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], argv[3], atol(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "time"))
		return timing(atol(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: run_probe linkage | sockets PROTO | %s\n",
		"serve ADDR PORT | client ADDR PORT N | time N PROTO");
	return 1;
}
