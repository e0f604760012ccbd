// SPDX-License-Identifier: GPL-2.0
/*
 * The socket calls of an unconnected vtcp socket: socket, bind,
 * getsockname, close, port conflicts, and the errnos of what it cannot do.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktap.h"
#include "../include/uapi/linux/vtcp.h"

static int proto = IPPROTO_VTCP;

static int vsock(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, proto);

	if (fd < 0) {
		perror("socket");
		exit(KSFT_FAIL);
	}
	return fd;
}

static struct sockaddr_in addr_of(const char *ip, unsigned short port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static int bind_to(int fd, const char *ip, unsigned short port)
{
	struct sockaddr_in a = addr_of(ip, port);

	return bind(fd, (struct sockaddr *)&a, sizeof(a));
}

static unsigned short local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return 0;
	return ntohs(a.sin_port);
}

static void test_socket_identity(void)
{
	int fd = vsock(), val = 0;
	socklen_t len = sizeof(val);

	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &val, &len);
	ksft_test_result(val == proto, "SO_PROTOCOL is %d", proto);
	len = sizeof(val);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &val, &len);
	ksft_test_result(val == SOCK_STREAM, "SO_TYPE is SOCK_STREAM");
	ksft_test_result(close(fd) == 0, "close an unbound socket");
}

static void test_bind(void)
{
	int a = vsock(), b = vsock(), c;
	unsigned short port;

	ksft_test_result(bind_to(a, "127.0.0.1", 5001) == 0, "bind 127.0.0.1:5001");
	ksft_test_result(local_port(a) == 5001, "getsockname gives port 5001");
	ksft_expect_errno(bind_to(b, "127.0.0.1", 5001), EADDRINUSE,
			  "second bind to the same port: EADDRINUSE");
	ksft_expect_errno(bind_to(a, "127.0.0.1", 5002), EINVAL,
			  "bind a bound socket again: EINVAL");
	ksft_expect_errno(bind_to(b, "192.0.2.1", 5003), EADDRNOTAVAIL,
			  "bind to a foreign address: EADDRNOTAVAIL");
	close(a);
	ksft_test_result(bind_to(b, "127.0.0.1", 5001) == 0,
			 "the port is free again after close");
	close(b);

	c = vsock();
	ksft_test_result(bind_to(c, "0.0.0.0", 0) == 0, "bind to port 0");
	port = local_port(c);
	ksft_test_result(port >= 1024, "port 0 gives an ephemeral port (%u)", port);
	close(c);
}

static void test_reuseaddr_does_not_steal(void)
{
	int a = vsock(), b = vsock(), one = 1;

	setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	bind_to(a, "127.0.0.1", 5010);
	/* Like TCP: SO_REUSEADDR on both binds two unconnected sockets. */
	ksft_test_result(bind_to(b, "127.0.0.1", 5010) == 0,
			 "SO_REUSEADDR on both: second bind allowed");
	close(a);
	close(b);
}

static void test_ports_are_ours(void)
{
	int v = vsock(), t = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);

	/* vtcp and TCP have separate port spaces. */
	ksft_test_result(bind_to(t, "127.0.0.1", 5020) == 0 &&
			 bind_to(v, "127.0.0.1", 5020) == 0,
			 "TCP and vtcp can bind the same port number");
	close(v);
	close(t);
}

static void test_unsupported(void)
{
	int fd = vsock(), sv[2];
	char buf[4];
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	ksft_expect_errno(getpeername(fd, (struct sockaddr *)&a, &len), ENOTCONN,
			  "getpeername unconnected: ENOTCONN");
	ksft_expect_errno(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), ENOTCONN,
			  "recv unconnected: ENOTCONN");
	ksft_expect_errno(shutdown(fd, SHUT_RDWR), ENOTCONN,
			  "shutdown unconnected: ENOTCONN");
	ksft_expect_errno(setsockopt(fd, proto, 12345, buf, sizeof(int)),
			  ENOPROTOOPT, "unknown option at our level: ENOPROTOOPT");
	ksft_expect_errno(socketpair(AF_INET, SOCK_STREAM, proto, sv), EOPNOTSUPP,
			  "socketpair: EOPNOTSUPP");
	ksft_test_result(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
			 errno == ENODEV, "mmap: ENODEV");
	ksft_expect_errno(accept(fd, NULL, NULL), EINVAL,
			  "accept on a socket not listening: EINVAL");
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		proto = atoi(argv[1]);

	ksft_print_header();
	ksft_set_plan(20);
	test_socket_identity();
	test_bind();
	test_reuseaddr_does_not_steal();
	test_ports_are_ours();
	test_unsupported();
	return ksft_finished();
}
