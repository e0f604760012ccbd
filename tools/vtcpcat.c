// SPDX-License-Identifier: GPL-2.0
/*
 * vtcpcat: netcat for vtcp (or any SOCK_STREAM protocol).
 *
 *   vtcpcat [-6] [-p PROTO] HOST PORT
 *	connect, then copy stdin <-> socket
 *   vtcpcat [-6] [-p PROTO] -l [ADDR] PORT
 *	accept one connection, the same
 *
 * stdin's EOF becomes shutdown(SHUT_WR); the peer's EOF ends the copy to
 * stdout, and the program exits once both directions are done. PROTO is
 * the protocol number (default 253; 6 for TCP, to compare). Exit status:
 * 0, or 1 with a message naming the call that failed.
 *
 * The socket is AF_INET, or AF_INET6 for -6 or a HOST or ADDR that is an
 * IPv6 address (fd00::1, fe80::1%eth0). With -6, an IPv4 HOST or ADDR is
 * used as its v4-mapped address (::ffff:10.0.0.1), and -l without ADDR
 * listens on [::], which takes IPv4 connections too unless the system's
 * net.ipv6.bindv6only says otherwise: vtcpcat sets no IPV6_V6ONLY.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../include/uapi/linux/vtcp.h"

static void die(const char *what)
{
	fprintf(stderr, "vtcpcat: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: vtcpcat [-6] [-p PROTO] HOST PORT\n"
			"       vtcpcat [-6] [-p PROTO] -l [ADDR] PORT\n"
			"  -6  IPv6 (AF_INET6); also when HOST or ADDR is an IPv6 address\n");
	exit(2);
}

/* HOST (NULL: the wildcard) and PORT as the address of @family. */
static socklen_t address(int family, const char *host, const char *port,
			 struct sockaddr_storage *ss)
{
	struct addrinfo hints = { .ai_family = family,
				  .ai_socktype = SOCK_STREAM }, *ai;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	socklen_t len = family == AF_INET6 ? sizeof(*sin6) : sizeof(*sin);

	/* With -6, an IPv4 HOST or ADDR is v4-mapped. */
	if (family == AF_INET6)
		hints.ai_flags = AI_V4MAPPED;
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (host) {
		if (getaddrinfo(host, NULL, &hints, &ai)) {
			fprintf(stderr, "vtcpcat: cannot resolve %s\n", host);
			exit(1);
		}
		memcpy(ss, ai->ai_addr, len);
		freeaddrinfo(ai);
	}
	if (family == AF_INET6)
		sin6->sin6_port = htons(atoi(port));
	else
		sin->sin_port = htons(atoi(port));
	return len;
}

static int open_connection(int family, int proto, int listening,
			   const char *host, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, conn;

	/* A name has no colon: an address that has one is IPv6. */
	if (host && strchr(host, ':'))
		family = AF_INET6;
	len = address(family, host, port, &ss);
	fd = socket(family, SOCK_STREAM, proto);
	if (fd < 0)
		die("socket");
	if (!listening) {
		if (connect(fd, (struct sockaddr *)&ss, len))
			die("connect");
		return fd;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	if (listen(fd, 1))
		die("listen");
	conn = accept(fd, NULL, NULL);
	if (conn < 0)
		die("accept");
	close(fd);
	return conn;
}

/* Copy what @from has into @to; false at EOF. */
static int copy_some(int from, int to, const char *what)
{
	char buf[65536];
	ssize_t n = read(from, buf, sizeof(buf)), done = 0;

	if (n < 0)
		die(what);
	while (done < n) {
		ssize_t w = write(to, buf + done, n - done);

		if (w < 0)
			die("write");
		done += w;
	}
	return n > 0;
}

int main(int argc, char **argv)
{
	int proto = IPPROTO_VTCP, family = AF_INET, listening = 0, opt, fd;
	struct pollfd pfd[2];

	while ((opt = getopt(argc, argv, "6lp:h")) != -1) {
		if (opt == '6')
			family = AF_INET6;
		else if (opt == 'l')
			listening = 1;
		else if (opt == 'p')
			proto = atoi(optarg);
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	if (argc == 2)
		fd = open_connection(family, proto, listening, argv[0],
				     argv[1]);
	else if (argc == 1 && listening)
		fd = open_connection(family, proto, listening, NULL, argv[0]);
	else
		usage();

	pfd[0] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (poll(pfd, 2, -1) < 0)
			die("poll");
		if (pfd[0].revents && !copy_some(STDIN_FILENO, fd, "read stdin")) {
			shutdown(fd, SHUT_WR);
			pfd[0].fd = -1;
		}
		if (pfd[1].revents && !copy_some(fd, STDOUT_FILENO, "recv"))
			pfd[1].fd = -1;
	}
	close(fd);
	return 0;
}
