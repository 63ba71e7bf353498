/*
 * tests/socketmap/fake_engine.c - a lab-free stand-in for the engine's
 * delivery-time lookup, so that the map server's protocol handling can
 * be tested without DNS, HTTPS or the real cache.  Linked instead of
 * lib/libmtasts.a's engine (the protocol test links only the objects it
 * needs, so there is no clash).
 *
 * Answers by domain (after lower-casing and dropping one trailing dot):
 *   enforce.example  OK, enforced: mx1.enforce.example, *.mx.enforce.example
 *   testing.example  OK, mode testing, not enforced
 *   dane.example     OK, enforced, DANE applies
 *   bogus.example    BOGUS
 *   pending.example  TEMPFAIL (nothing known yet)
 *   slow.example     NOTFOUND after FAKE_SLOW_MS (a blocking lookup)
 *   anything else    NOTFOUND
 * fake_engine_calls counts lookups (atomically).
 */
#include "config.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_engine.h"
#include "sts_engine.h"

atomic_uint fake_engine_calls;

void
sts_policy_free(struct sts_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_mx; i++)
		free(p->mx[i]);
	free(p->mx);
	free(p);
}

static struct sts_policy *
mkpolicy(enum sts_mode mode, const char *a, const char *b)
{
	struct sts_policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		abort();
	p->mode = mode;
	p->max_age = 86400;
	p->n_mx = b != NULL ? 2 : 1;
	p->mx = calloc(p->n_mx, sizeof(char *));
	if (p->mx == NULL)
		abort();
	p->mx[0] = strdup(a);
	if (b != NULL)
		p->mx[1] = strdup(b);
	return p;
}

void
sts_engine_lookup(struct sts_engine *e, const char *domain,
		  unsigned deadline_ms, struct sts_lookup *out)
{
	char d[STS_DOMAIN_BUFSZ];
	size_t i, n = strlen(domain);

	(void)e;
	(void)deadline_ms;
	atomic_fetch_add(&fake_engine_calls, 1);
	memset(out, 0, sizeof(*out));
	if (n > 0 && domain[n - 1] == '.')
		n--;
	if (n >= sizeof(d))
		n = sizeof(d) - 1;
	for (i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)domain[i]);
	d[n] = '\0';
	snprintf(out->domain, sizeof(out->domain), "%s", d);
	out->status = STS_NOTFOUND;
	if (strcmp(d, "enforce.example") == 0 ||
	    strcmp(d, "dane.example") == 0) {
		out->status = STS_OK;
		out->enforce = true;
		out->dane = d[0] == 'd';
		out->policy = mkpolicy(STS_MODE_ENFORCE, "mx1.enforce.example",
				       "*.mx.enforce.example");
	} else if (strcmp(d, "testing.example") == 0) {
		out->status = STS_OK;
		out->policy =
			mkpolicy(STS_MODE_TESTING, "mx.testing.example", NULL);
	} else if (strcmp(d, "bogus.example") == 0) {
		out->status = STS_BOGUS;
	} else if (strcmp(d, "pending.example") == 0) {
		out->status = STS_TEMPFAIL;
	} else if (strcmp(d, "slow.example") == 0) {
		struct timespec ts = {0, FAKE_SLOW_MS * 1000000L};

		nanosleep(&ts, NULL);
	}
	snprintf(out->why, sizeof(out->why), "fake engine");
}
