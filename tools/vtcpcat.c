// SPDX-License-Identifier: GPL-2.0
/*
 * vtcpcat: netcat for vtcp (or any SOCK_STREAM protocol).
 *
 *   vtcpcat [-p PROTO] HOST PORT        connect, then copy stdin <-> socket
 *   vtcpcat [-p PROTO] -l [ADDR] PORT   accept one connection, the same
 *
 * stdin's EOF becomes shutdown(SHUT_WR); the peer's EOF ends the copy to
 * stdout, and the program exits once both directions are done. PROTO is
 * the protocol number (default 253; 6 for TCP, to compare). Exit status:
 * 0, or 1 with a message naming the call that failed.
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
	fprintf(stderr, "usage: vtcpcat [-p PROTO] HOST PORT\n"
			"       vtcpcat [-p PROTO] -l [ADDR] PORT\n");
	exit(2);
}

static struct sockaddr_in address(const char *host, const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct addrinfo hints = { .ai_family = AF_INET }, *ai;

	sin.sin_port = htons(atoi(port));
	if (!host)
		return sin;
	if (getaddrinfo(host, NULL, &hints, &ai)) {
		fprintf(stderr, "vtcpcat: cannot resolve %s\n", host);
		exit(1);
	}
	sin.sin_addr = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
	freeaddrinfo(ai);
	return sin;
}

static int open_connection(int proto, int listening, const char *host,
			   const char *port)
{
	struct sockaddr_in sin = address(host, port);
	int fd = socket(AF_INET, SOCK_STREAM, proto), one = 1, conn;

	if (fd < 0)
		die("socket");
	if (!listening) {
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
			die("connect");
		return fd;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
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
	int proto = IPPROTO_VTCP, listening = 0, opt, fd;
	struct pollfd pfd[2];

	while ((opt = getopt(argc, argv, "lp:h")) != -1) {
		if (opt == 'l')
			listening = 1;
		else if (opt == 'p')
			proto = atoi(optarg);
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	if (argc == 2)
		fd = open_connection(proto, listening, argv[0], argv[1]);
	else if (argc == 1 && listening)
		fd = open_connection(proto, listening, NULL, argv[0]);
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
