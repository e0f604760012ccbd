// SPDX-License-Identifier: GPL-2.0
/*
 * Which connection an event belongs to: "sport N", "dport N", "cookie C",
 * and ADDR, ADDR:PORT or :PORT for either end, an IPv6 ADDR in brackets
 * when a port follows ([fd00::1]:5001). All given must hold. An IPv4
 * address also matches the v4-mapped ends of IPv6 sockets.
 */
#include <arpa/inet.h>
#include <string.h>

#include "cli.h"

static int endpoint_word(struct conn_match *m, const char *w)
{
	char copy[64], *addr, *port;
	uint64_t v;
	int family;

	snprintf(copy, sizeof(copy), "%s", w);
	if (!endpoint_split(copy, &addr, &port))
		return -1;
	if (port) {
		if (!parse_u64(port, 65535, &v))
			return -1;
		m->has_port = true;
		m->port = v;
	}
	if (!addr[0] || !strcmp(addr, "*"))
		return port ? 0 : -1;
	m->has_addr = true;
	return addr_parse(addr, &family, &m->addr);
}

int conn_match_parse(struct conn_match *m, int argc, char **argv,
		     void (*print_usage)(FILE *))
{
	uint64_t v;
	int i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < argc; i++) {
		const char *w = argv[i];
		bool keyword = !strcmp(w, "sport") || !strcmp(w, "dport") ||
			       !strcmp(w, "cookie");

		if (!keyword) {
			if (endpoint_word(m, w))
				return usage_error(print_usage, "bad filter \"%s\"",
						   w);
			continue;
		}
		if (++i >= argc)
			return usage_error(print_usage, "\"%s\" needs a value", w);
		if (!parse_u64(argv[i], w[0] == 'c' ? UINT64_MAX : 65535, &v))
			return usage_error(print_usage, "bad %s \"%s\"", w, argv[i]);
		if (w[0] == 'c') {
			m->has_cookie = true;
			m->cookie = v;
		} else if (w[0] == 's') {
			m->has_sport = true;
			m->sport = v;
		} else {
			m->has_dport = true;
			m->dport = v;
		}
	}
	m->any = !m->has_sport && !m->has_dport && !m->has_cookie &&
		 !m->has_addr && !m->has_port;
	return 0;
}

static bool end_matches(const struct conn_match *m,
			const struct in6_addr *addr, uint16_t port)
{
	return (!m->has_addr || IN6_ARE_ADDR_EQUAL(addr, &m->addr)) &&
	       (!m->has_port || port == m->port);
}

bool conn_match(const struct conn_match *m, const struct vtcp_event *ev)
{
	if (m->has_cookie && ev->cookie != m->cookie)
		return false;
	if (m->has_sport && ev->sport != m->sport)
		return false;
	if (m->has_dport && ev->dport != m->dport)
		return false;
	if ((m->has_addr || m->has_port) &&
	    !end_matches(m, &ev->saddr, ev->sport) &&
	    !end_matches(m, &ev->daddr, ev->dport))
		return false;
	return true;
}
