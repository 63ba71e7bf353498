/*
 * ubcheck - resolve names with libunbound configured ONLY by the lab's
 * libunbound config file (LAB_UNBOUND_CONF, via ub_ctx_config), to prove
 * that file works: secure answers for signed names, bogus for the bogus
 * zones, insecure for the unsigned child.
 * Usage: ubcheck CONF NAME/TYPE...   (TYPE: numeric RR type)
 * Prints one line per query: NAME TYPE rcode=N havedata=N secure=N bogus=N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unbound.h>

int
main(int argc, char **argv)
{
	struct ub_ctx *ctx;
	int i, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: ubcheck CONF NAME/TYPE...\n");
		return 2;
	}
	ctx = ub_ctx_create();
	if (ctx == NULL)
		return 2;
	rc = ub_ctx_config(ctx, argv[1]);
	if (rc != 0) {
		fprintf(stderr, "ub_ctx_config: %s\n", ub_strerror(rc));
		return 2;
	}
	for (i = 2; i < argc; i++) {
		char name[256];
		const char *slash = strrchr(argv[i], '/');
		struct ub_result *res = NULL;
		size_t n;

		if (slash == NULL ||
		    (n = (size_t)(slash - argv[i])) >= sizeof(name))
			return 2;
		memcpy(name, argv[i], n);
		name[n] = '\0';
		rc = ub_resolve(ctx, name, (int)strtol(slash + 1, NULL, 10), 1,
				&res);
		if (rc != 0) {
			printf("%s %s error=%s\n", name, slash + 1,
			       ub_strerror(rc));
			continue;
		}
		printf("%s %s rcode=%d havedata=%d secure=%d bogus=%d\n", name,
		       slash + 1, res->rcode, res->havedata, res->secure,
		       res->bogus);
		ub_resolve_free(res);
	}
	ub_ctx_delete(ctx);
	return 0;
}
