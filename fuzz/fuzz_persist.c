/*
 * fuzz/fuzz_persist.c - libFuzzer target for the state-file loader
 * (lib/engine/sts_persist.c), hostile input like any other file we read.
 *
 * Invariants:
 *  1. differential: a line the fast path (sts_persist_fast_parse, our exact
 * line format) accepts is also accepted by the cJSON path (load_line), with the
 * same domain, id, mode, max_age, fetched time and mx patterns; the fast path
 * never accepts what the rules refuse.
 *  2. the whole input as a state file: sts_persist_load() never crashes
 *     and its counts add up.
 * The loader's file is included, not linked, so that its static parsers
 * can be called directly (so lib/engine/sts_persist.c is not in this target's
 * source list in fuzz/local.mk).
 */
#include "../lib/engine/sts_persist.c"

#include <sys/mman.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static time_t
fixed_now(void *arg)
{
	(void)arg;
	return 1700000000;
}

static struct sts_cache *
fresh(void)
{
	struct sts_cache_conf cc;

	memset(&cc, 0, sizeof(cc));
	cc.max = 1000;
	cc.now = fixed_now;
	return sts_cache_new(&cc);
}

struct got {
	bool seen;
	struct sts_cache_record r;
	char domain[STS_DOMAIN_BUFSZ], id[STS_MAX_ID + 1];
	char mx[STS_PERSIST_FAST_MX][STS_DOMAIN_BUFSZ + 2];
};

static void
grab(void *arg, const struct sts_cache_record *r)
{
	struct got *g = arg;
	size_t i;

	g->seen = true;
	g->r = *r;
	snprintf(g->domain, sizeof(g->domain), "%s", r->domain);
	snprintf(g->id, sizeof(g->id), "%s", r->id);
	for (i = 0; i < r->n_mx && i < STS_PERSIST_FAST_MX; i++)
		snprintf(g->mx[i], sizeof(g->mx[i]), "%s", r->mx[i]);
}

static void
differential(const uint8_t *data, size_t size)
{
	static char a[STS_PERSIST_MAX_LINE + 2], b[STS_PERSIST_MAX_LINE + 2];
	static struct got g;
	const char *pat[STS_PERSIST_FAST_MX];
	struct sts_cache_record r;
	struct sts_persist_report rep;
	struct loader l = {"fuzz", 1, &rep, NULL, NULL};
	struct sts_cache *c;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl != NULL ? (size_t)(nl - data) + 1 : size, i;

	if (n > STS_PERSIST_MAX_LINE)
		return;
	memcpy(a, data, n);
	memcpy(b, data, n);
	a[n] = b[n] = '\0';
	if (!sts_persist_fast_parse(a, n, fixed_now(NULL), &r, pat))
		return;
	memset(&rep, 0, sizeof(rep));
	c = fresh();
	if (c == NULL)
		return;
	load_line(&l, c, b, n, fixed_now(NULL));
	if (rep.dropped != 0)
		abort(); /* fast path accepted what the rules refuse */
	memset(&g, 0, sizeof(g));
	sts_cache_foreach(c, grab, NULL, &g);
	if (rep.loaded == 1) {
		if (!g.seen || strcmp(g.domain, r.domain) != 0 ||
		    strcmp(g.id, r.id) != 0 || g.r.mode != r.mode ||
		    g.r.max_age != r.max_age ||
		    g.r.fetched_at != r.fetched_at || g.r.n_mx != r.n_mx)
			abort();
		for (i = 0; i < r.n_mx; i++)
			if (strcmp(g.mx[i], r.mx[i]) != 0)
				abort();
	} else if (rep.expired != 1) {
		abort();
	}
	sts_cache_free(c);
}

static void
whole_file(const uint8_t *data, size_t size)
{
	char path[64], why[STS_WHY_MAX];
	struct sts_persist_report rep;
	struct sts_cache *c;
	int fd = memfd_create("fuzz_persist", 0);

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		c = fresh();
		if (c != NULL) {
			(void)sts_persist_load(c, path, &rep, NULL, NULL, why,
					       sizeof(why));
			sts_cache_free(c);
		}
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	differential(data, size);
	whole_file(data, size);
	return 0;
}
