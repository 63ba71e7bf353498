/*
 * tests/unit/test_shentry.c - the shared cache entry codec
 * (lib/proto/sts_shentry.c) and the Redis URL parser
 * (lib/net/sts_redis.c): round trips, every way an untrusted entry can
 * be refused, and a table of URLs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_redis.h"
#include "sts_shentry.h"
#include "../tap.h"

#define NOW 1764633600

static const char GOOD[] = "STS-SHARED/1\n"
			   "kind: policy\n"
			   "id: abc123\n"
			   "fetched: 1764633000\n"
			   "checked: 1764633500\n"
			   "\n"
			   "version: STSv1\n"
			   "mode: enforce\n"
			   "max_age: 86400\n"
			   "mx: mx1.example.com\n"
			   "mx: *.example.net\n";

struct dcase {
	const char *name;
	const char *text;
	enum sts_status st;
};

static const struct dcase bad[] = {
	{"empty", "", STS_INVALID},
	{"wrong magic", "STS-SHARED/2\nkind: none\nfetched: 1\nchecked: 1\n\n",
	 STS_INVALID},
	{"unknown kind",
	 "STS-SHARED/1\nkind: maybe\nfetched: 1\nchecked: 1\n\n", STS_INVALID},
	{"none with a body",
	 "STS-SHARED/1\nkind: none\nfetched: 1\nchecked: 1\n\nx", STS_INVALID},
	{"none without the empty line",
	 "STS-SHARED/1\nkind: none\nfetched: 1\nchecked: 1\n", STS_INVALID},
	{"policy without id",
	 "STS-SHARED/1\nkind: policy\nfetched: 1\nchecked: 1\n\n"
	 "version: STSv1\nmode: none\nmax_age: 86400\n",
	 STS_INVALID},
	{"id of 33 chars",
	 "STS-SHARED/1\nkind: policy\nid: 123456789012345678901234567890123\n"
	 "fetched: 1\nchecked: 1\n\nversion: STSv1\nmode: none\nmax_age: 9\n",
	 STS_INVALID},
	{"id with a dash",
	 "STS-SHARED/1\nkind: policy\nid: a-b\nfetched: 1\nchecked: 1\n\n"
	 "version: STSv1\nmode: none\nmax_age: 9\n",
	 STS_INVALID},
	{"negative time",
	 "STS-SHARED/1\nkind: none\nfetched: -1\nchecked: 1\n\n", STS_INVALID},
	{"leading zero",
	 "STS-SHARED/1\nkind: none\nfetched: 01\nchecked: 1\n\n", STS_INVALID},
	{"huge number",
	 "STS-SHARED/1\nkind: none\nfetched: 9999999999999999999999\n"
	 "checked: 1\n\n",
	 STS_INVALID},
	{"checked before fetched",
	 "STS-SHARED/1\nkind: none\nfetched: 5\nchecked: 4\n\n", STS_INVALID},
	{"checked in the future",
	 "STS-SHARED/1\nkind: none\nfetched: 1\nchecked: 1764640000\n\n",
	 STS_INVALID},
	{"CRLF header",
	 "STS-SHARED/1\r\nkind: none\nfetched: 1\nchecked: 1\n\n", STS_INVALID},
	{"policy text invalid (mode)",
	 "STS-SHARED/1\nkind: policy\nid: a\nfetched: 1764633000\n"
	 "checked: 1764633000\n\nversion: STSv1\nmode: strict\nmax_age: "
	 "86400\n",
	 STS_INVALID},
	{"policy text: enforce without mx",
	 "STS-SHARED/1\nkind: policy\nid: a\nfetched: 1764633000\n"
	 "checked: 1764633000\n\nversion: STSv1\nmode: enforce\nmax_age: "
	 "86400\n",
	 STS_INVALID},
	{"policy text with NUL",
	 "STS-SHARED/1\nkind: policy\nid: a\nfetched: 1764633000\n"
	 "checked: 1764633000\n\nversion: STSv1\nmode: none\0\nmax_age: "
	 "86400\n",
	 STS_INVALID},
	{"expired policy",
	 "STS-SHARED/1\nkind: policy\nid: a\nfetched: 1764000000\n"
	 "checked: 1764000000\n\nversion: STSv1\nmode: none\nmax_age: 86400\n",
	 STS_NOTFOUND},
};

static size_t
textlen(const struct dcase *c)
{
	/* the NUL case: measure to the final newline past the NUL */
	if (strcmp(c->name, "policy text with NUL") == 0)
		return strlen(c->text) + 1 +
		       strlen(c->text + strlen(c->text) + 1);
	return strlen(c->text);
}

static void
test_codec(void)
{
	struct sts_shentry e, d;
	char buf[STS_MAX_SHARED_ENTRY + 1], why[STS_WHY_MAX], *big;
	size_t len, i, hdr;
	enum sts_status st;

	st = sts_shentry_decode(GOOD, strlen(GOOD), NOW, &e, why, sizeof(why));
	is_int(st, STS_OK, "good entry decodes (%s)", why);
	ok(e.policy != NULL && e.policy->mode == STS_MODE_ENFORCE &&
		   e.policy->n_mx == 2 && e.policy->max_age == 86400,
	   "its policy is parsed");
	is_str(e.id, "abc123", "its id");
	is_int(e.fetched, 1764633000, "its fetch time");
	is_int(e.checked, 1764633500, "its check time");
	st = sts_shentry_encode(&e, buf, sizeof(buf), &len, why, sizeof(why));
	is_int(st, STS_OK, "re-encodes");
	ok(len == strlen(GOOD) && memcmp(buf, GOOD, len) == 0,
	   "encode(decode(x)) == x for canonical text");
	st = sts_shentry_decode(buf, len, NOW, &d, why, sizeof(why));
	ok(st == STS_OK && sts_policy_equal(e.policy, d.policy),
	   "round trip keeps the policy");
	sts_shentry_clear(&d);
	is_int(sts_shentry_encode(&e, buf, 40, &len, why, sizeof(why)),
	       STS_NOMEM, "a too small buffer is NOMEM");
	sts_shentry_clear(&e);
	ok(e.policy == NULL, "clear frees the policy");

	memset(&e, 0, sizeof(e));
	e.none = true;
	e.fetched = e.checked = NOW;
	st = sts_shentry_encode(&e, buf, sizeof(buf), &len, why, sizeof(why));
	is_int(st, STS_OK, "negative entry encodes");
	st = sts_shentry_decode(buf, len, NOW, &d, why, sizeof(why));
	ok(st == STS_OK && d.none && d.policy == NULL,
	   "negative entry round trip");
	memset(&e, 0, sizeof(e));
	e.fetched = e.checked = NOW;
	is_int(sts_shentry_encode(&e, buf, sizeof(buf), &len, why, sizeof(why)),
	       STS_INVALID, "a policy entry without a policy is refused");

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		st = sts_shentry_decode(bad[i].text, textlen(&bad[i]), NOW, &d,
					why, sizeof(why));
		ok(st == bad[i].st && d.policy == NULL, "refused: %s (%s)",
		   bad[i].name, why);
	}
	/* every truncation inside the header (or of the whole policy text) is
	 * refused; truncations within the policy text may still be a valid
	 * policy (SET is atomic, so a store never holds half a value); none
	 * crashes */
	hdr = (size_t)(strstr(GOOD, "\n\n") - GOOD) + 2;
	for (i = 0, st = STS_OK; i <= hdr; i++) {
		if (sts_shentry_decode(GOOD, i, NOW, &d, why, sizeof(why)) ==
		    STS_OK)
			st = STS_INVALID;
		sts_shentry_clear(&d);
	}
	is_int(st, STS_OK, "entries cut in the header are refused");
	for (i = hdr, st = STS_OK; i < strlen(GOOD); i++) {
		if (sts_shentry_decode(GOOD, i, NOW, &d, why, sizeof(why)) !=
			    STS_OK &&
		    d.policy != NULL)
			st = STS_INVALID;
		sts_shentry_clear(&d);
	}
	is_int(st, STS_OK,
	       "entries cut in the policy text: a refusal leaves no policy");
	big = malloc(STS_MAX_SHARED_ENTRY + 2);
	memset(big, 'a', STS_MAX_SHARED_ENTRY + 1);
	memcpy(big, GOOD, strlen(GOOD));
	st = sts_shentry_decode(big, STS_MAX_SHARED_ENTRY + 1, NOW, &d, why,
				sizeof(why));
	ok(st == STS_INVALID && strstr(why, "cap") != NULL,
	   "an entry over the cap is refused before parsing (%s)", why);
	free(big);
}

struct ucase {
	const char *url;
	enum sts_status st;
	bool unix_socket;
	const char *host; /* or path */
	unsigned port, db;
	const char *user, *pass;
};

static const struct ucase urls[] = {
	{"redis://127.0.0.1:6379/0", STS_OK, false, "127.0.0.1", 6379, 0, "",
	 ""},
	{"redis://localhost", STS_OK, false, "localhost", 6379, 0, "", ""},
	{"redis://10.0.0.1:7000/3", STS_OK, false, "10.0.0.1", 7000, 3, "", ""},
	{"redis://mta:s3cret@127.0.0.1:6380/2", STS_OK, false, "127.0.0.1",
	 6380, 2, "mta", "s3cret"},
	{"redis://:s3cret@127.0.0.1", STS_OK, false, "127.0.0.1", 6379, 0, "",
	 "s3cret"},
	{"redis://s3cret@127.0.0.1", STS_OK, false, "127.0.0.1", 6379, 0, "",
	 "s3cret"},
	{"redis://[::1]:6379/1", STS_OK, false, "::1", 6379, 1, "", ""},
	{"redis://[::1]", STS_OK, false, "::1", 6379, 0, "", ""},
	{"redis://host/", STS_OK, false, "host", 6379, 0, "", ""},
	{"unix:/run/redis/redis.sock", STS_OK, true, "/run/redis/redis.sock",
	 6379, 0, "", ""},
	{"unix:/run/redis.sock?db=4", STS_OK, true, "/run/redis.sock", 6379, 4,
	 "", ""},
	{"rediss://127.0.0.1", STS_INVALID, false, "", 0, 0, "", ""},
	{"http://127.0.0.1", STS_INVALID, false, "", 0, 0, "", ""},
	{"redis://", STS_INVALID, false, "", 0, 0, "", ""},
	{"redis://:6379", STS_INVALID, false, "", 0, 0, "", ""},
	{"redis://h:0", STS_INVALID, false, "", 0, 0, "", ""},
	{"redis://h:65536", STS_INVALID, false, "", 0, 0, "", ""},
	{"redis://h:-1", STS_INVALID, false, "", 0, 0, "", ""},
	{"redis://h:6379/x", STS_INVALID, false, "", 0, 0, "", ""},
	{"redis://h:6379/10000", STS_INVALID, false, "", 0, 0, "", ""},
	{"redis://u:@h", STS_INVALID, false, "", 0, 0, "", ""},
	{"redis://h st", STS_INVALID, false, "", 0, 0, "", ""},
	{"redis://[::1", STS_INVALID, false, "", 0, 0, "", ""},
	{"redis://[::1]x", STS_INVALID, false, "", 0, 0, "", ""},
	{"unix:relative.sock", STS_INVALID, false, "", 0, 0, "", ""},
	{"unix:/s?db=x", STS_INVALID, false, "", 0, 0, "", ""},
	{"unix:/s?foo=1", STS_INVALID, false, "", 0, 0, "", ""},
	{"unix:", STS_INVALID, false, "", 0, 0, "", ""},
};

static void
test_urls(void)
{
	struct sts_redis_url u;
	char why[STS_WHY_MAX];
	size_t i;
	enum sts_status st;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		const struct ucase *c = &urls[i];

		st = sts_redis_url_parse(c->url, &u, why, sizeof(why));
		if (c->st != STS_OK) {
			ok(st == c->st, "URL refused: %s (%s)", c->url, why);
			continue;
		}
		ok(st == STS_OK && u.unix_socket == c->unix_socket &&
			   strcmp(c->unix_socket ? u.path : u.host, c->host) ==
				   0 &&
			   u.port == c->port && u.db == c->db &&
			   strcmp(u.user, c->user) == 0 &&
			   strcmp(u.pass, c->pass) == 0,
		   "URL parsed: %s (%s)", c->url, why);
	}
	ok(sts_redis_url_parse(NULL, &u, why, sizeof(why)) == STS_INVALID,
	   "NULL URL refused");
}

int
main(void)
{
	test_codec();
	test_urls();
	return tap_done();
}
