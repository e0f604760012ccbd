// SPDX-License-Identifier: GPL-2.0
/* The harness of ktap.h: runs the registered cases, prints KTAP. */
#include <string.h>

#include "ktap.h"

int unit_failed;
static struct unit_case *first, **last = &first;

void unit_register(struct unit_case *c)
{
	*last = c;
	last = &c->next;
}

/* ./test [NAME...]: every case, or those named. */
int main(int argc, char **argv)
{
	struct unit_case *c;
	int n = 0, i, failures = 0;

	for (c = first; c; c = c->next) {
		for (i = 1; i < argc && strcmp(argv[i], c->name); i++)
			;
		n += argc == 1 || i < argc;
	}
	printf("KTAP version 1\n1..%d\n", n);
	n = 0;
	for (c = first; c; c = c->next) {
		for (i = 1; i < argc && strcmp(argv[i], c->name); i++)
			;
		if (argc > 1 && i == argc)
			continue;
		unit_failed = 0;
		if (mock_reset)
			mock_reset();
		c->fn();
		failures += unit_failed;
		printf("%sok %d %s\n", unit_failed ? "not " : "", ++n, c->name);
		fflush(stdout);
	}
	printf("# %d passed, %d failed\n", n - failures, failures);
	return failures ? 1 : 0;
}
