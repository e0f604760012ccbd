// SPDX-License-Identifier: GPL-2.0
/*
 * Addresses of either family, as the events and the filters keep them: a
 * struct in6_addr, IPv4 ones v4-mapped (::ffff:a.b.c.d), so that an IPv4
 * socket's end and an IPv6 socket's v4-mapped one compare equal; the
 * family says how to print them.
 */
#include <arpa/inet.h>
#include <string.h>

#include "cli.h"

void addr_from_v4(struct in6_addr *a, const void *be32)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = 0xff;
	a->s6_addr[11] = 0xff;
	memcpy(&a->s6_addr[12], be32, 4);
}

/* The unspecified address of either family: "0.0.0.0" or "::". */
bool addr_is_any(const struct in6_addr *a)
{
	static const struct in6_addr any4 = { .s6_addr[10] = 0xff,
					      .s6_addr[11] = 0xff };

	return IN6_IS_ADDR_UNSPECIFIED(a) || !memcmp(a, &any4, sizeof(*a));
}

/* "10.0.0.1" for AF_INET, "fd00::1" or "::ffff:10.0.0.1" for AF_INET6. */
const char *addr_string(int family, const struct in6_addr *a, char *buf,
			size_t len)
{
	if (family == AF_INET)
		return inet_ntop(AF_INET, &a->s6_addr[12], buf, len);
	return inet_ntop(AF_INET6, a, buf, len);
}

/* "10.0.0.1:5001", "[fd00::1]:5001", as ss(8) writes an end. */
void endpoint_string(char *buf, size_t len, int family,
		     const struct in6_addr *a, uint16_t port)
{
	char s[INET6_ADDRSTRLEN];

	addr_string(family, a, s, sizeof(s));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", s, port);
}

/* A numeric address of either family; 0, or -1 if it is none. */
int addr_parse(const char *s, int *family, struct in6_addr *a)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) == 1) {
		addr_from_v4(a, &in);
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

/*
 * Splits an end written as ss(8) writes it into its address and port, in
 * place: "[fd00::1]:5001", "[fd00::1]", "10.0.0.1:5001", ":5001", "*:5001",
 * "fd00::/64:5001" (a port after a prefix). A word with more colons than
 * one and no brackets is an IPv6 address without a port. @port is NULL
 * when none was written; false if the brackets do not close.
 */
bool endpoint_split(char *s, char **addr, char **port)
{
	char *colon, *slash;

	*addr = s;
	*port = NULL;
	if (*s == '[') {
		colon = strchr(s, ']');
		if (!colon || (colon[1] && colon[1] != ':'))
			return false;
		*colon = '\0';
		*addr = s + 1;
		if (colon[1])
			*port = colon + 2;
		return true;
	}
	slash = strchr(s, '/');
	colon = strrchr(slash ? slash : s, ':');
	if (!slash && colon && strchr(s, ':') != colon)
		return true;	/* "fd00::1": all address */
	if (colon) {
		*colon = '\0';
		*port = colon + 1;
	}
	return true;
}
