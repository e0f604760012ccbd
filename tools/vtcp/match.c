// SPDX-License-Identifier: GPL-2.0
/*
 * Which connection an event belongs to: "sport N", "dport N", "cookie C",
 * and ADDR, ADDR:PORT or :PORT for either end. All given must hold.
 */
#include <arpa/inet.h>
#include <string.h>

#include "cli.h"

static int endpoint_word(struct conn_match *m, const char *w)
{
	char copy[64], *colon;
	uint64_t port;

	snprintf(copy, sizeof(copy), "%s", w);
	colon = strrchr(copy, ':');
	if (colon) {
		*colon = '\0';
		if (!parse_u64(colon + 1, 65535, &port))
			return -1;
		m->has_port = true;
		m->port = port;
	}
	if (!copy[0] || !strcmp(copy, "*"))
		return colon ? 0 : -1;
	m->has_addr = true;
	return inet_pton(AF_INET, copy, &m->addr) == 1 ? 0 : -1;
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

static bool end_matches(const struct conn_match *m, uint32_t addr,
			uint16_t port)
{
	return (!m->has_addr || addr == m->addr) &&
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
	    !end_matches(m, ev->saddr, ev->sport) &&
	    !end_matches(m, ev->daddr, ev->dport))
		return false;
	return true;
}
