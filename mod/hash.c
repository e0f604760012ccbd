// SPDX-License-Identifier: GPL-2.0
/*
 * The hash tables: established (and TIME-WAIT), listening, bound ports.
 *
 * vtcp keeps its own inet_hashinfo, so its ports and 4-tuples never mix
 * with TCP's, and lets the kernel's inet_hashtables code do the work.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "vtcp.h"
#include "hash.h"

/*
 * inet_csk_get_port() and inet_hash() find the table through
 * sk->sk_prot->h.hashinfo only when DCCP is configured; without it they
 * would use TCP's table for our sockets.
 */
#if !IS_ENABLED(CONFIG_IP_DCCP)
#error "vtcp needs a kernel with CONFIG_IP_DCCP (see Documentation/vtcp.rst)"
#endif

#define VTCP_EHASH_ENTRIES	65536U
#define VTCP_BHASH_ENTRIES	16384U

struct inet_hashinfo vtcp_hashinfo;

/*
 * inet_csk_get_port() takes a bhash2 bucket's lock inside a bhash one:
 * each table needs its own lockdep class, as TCP's have, or lockdep sees
 * recursive locking.
 */
static struct lock_class_key bhash_lock_key;
static struct lock_class_key bhash2_lock_key;

static struct inet_bind_hashbucket *bind_table_alloc(unsigned int n,
						     struct lock_class_key *key)
{
	struct inet_bind_hashbucket *t;
	unsigned int i;

	t = kvmalloc_array(n, sizeof(*t), GFP_KERNEL);
	if (!t)
		return NULL;
	for (i = 0; i < n; i++) {
		spin_lock_init(&t[i].lock);
		lockdep_set_class(&t[i].lock, key);
		INIT_HLIST_HEAD(&t[i].chain);
	}
	return t;
}

static int ehash_alloc(struct inet_hashinfo *h, unsigned int n)
{
	unsigned int i;

	h->ehash = kvmalloc_array(n, sizeof(*h->ehash), GFP_KERNEL);
	if (!h->ehash)
		return -ENOMEM;
	h->ehash_mask = n - 1;
	for (i = 0; i < n; i++)
		INIT_HLIST_NULLS_HEAD(&h->ehash[i].chain, i);
	return inet_ehash_locks_alloc(h);
}

static void vtcp_hashinfo_free(struct inet_hashinfo *h)
{
	inet_ehash_locks_free(h);
	kvfree(h->ehash);
	kvfree(h->bhash2);
	kvfree(h->bhash);
	kmem_cache_destroy(h->bind2_bucket_cachep);
	kmem_cache_destroy(h->bind_bucket_cachep);
	inet_hashinfo2_free_mod(h);
	memset(h, 0, sizeof(*h));
}

/**
 * vtcp_hashinfo_init() - allocate the connection, listen and bind hash tables
 *
 * Context: process context, at module load.
 * Return: 0, or -ENOMEM.
 */
int vtcp_hashinfo_init(void)
{
	struct inet_hashinfo *h = &vtcp_hashinfo;

	if (inet_hashinfo2_init_mod(h))
		return -ENOMEM;
	h->bind_bucket_cachep = KMEM_CACHE(inet_bind_bucket, SLAB_HWCACHE_ALIGN);
	h->bind2_bucket_cachep = KMEM_CACHE(inet_bind2_bucket, SLAB_HWCACHE_ALIGN);
	h->bhash_size = VTCP_BHASH_ENTRIES;
	h->bhash = bind_table_alloc(h->bhash_size, &bhash_lock_key);
	h->bhash2 = bind_table_alloc(h->bhash_size, &bhash2_lock_key);
	if (!h->bind_bucket_cachep || !h->bind2_bucket_cachep ||
	    !h->bhash || !h->bhash2 || ehash_alloc(h, VTCP_EHASH_ENTRIES)) {
		vtcp_hashinfo_free(h);
		return -ENOMEM;
	}
	return 0;
}

/**
 * vtcp_hashinfo_destroy() - free the hash tables
 *
 * Context: process context, at module unload, with no socket left.
 */
void vtcp_hashinfo_destroy(void)
{
	vtcp_hashinfo_free(&vtcp_hashinfo);
}
