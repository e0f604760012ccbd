// SPDX-License-Identifier: GPL-2.0
/*
 * hold_socket PROTO READYFILE: open socket(AF_INET, SOCK_STREAM, PROTO),
 * create READYFILE, and keep the socket until killed; with READYFILE "-"
 * exit 0 at once. Exits 1 (and prints the errno) when the socket cannot
 * be created.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: hold_socket PROTO READYFILE\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_STREAM, atoi(argv[1]));
	if (fd < 0) {
		perror("hold_socket: socket");
		return 1;
	}
	if (!strcmp(argv[2], "-"))
		return 0;
	close(open(argv[2], O_WRONLY | O_CREAT, 0644));
	for (;;)
		pause();
}
