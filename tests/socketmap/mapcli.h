/*
 * tests/socketmap/mapcli.h - what the map server's tests (t_protocol.c,
 * t_hostile.c) share: a socketmap client over a unix socket, and a
 * server (milter/mapd.c) in process on the real engine fed by the
 * scripted source of tests/engine (no DNS, no HTTPS, no lab).
 *
 * Threads: a struct cli belongs to one thread; ask() returns a static
 * buffer (main thread only).  dir, t_idle_ms and t_request_ms are set
 * by the main thread before start().
 */
#ifndef TESTS_SOCKETMAP_MAPCLI_H
#define TESTS_SOCKETMAP_MAPCLI_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/scripted.h"
#include "log.h"
#include "mapd.h"
#include "sts_engine.h"

#define ENFORCE_REPLY                                                          \
	"OK secure match=mx1.enforce.example:.mx.enforce.example "             \
	"servername=hostname"
#define SLOW_MS 150 /* per source call in the "slow" engine */

extern char dir[64]; /* the test's directory (sockets) */
/* Connection deadlines for the next start() (0: the server's defaults). */
extern unsigned t_idle_ms, t_request_ms;

struct cli {
	int fd;
	size_t len;
	char buf[8192];
};

/* One engine over one script; freed in order by stop(). */
struct srv {
	struct scripted *script;
	struct sts_engine *engine;
	struct mapd *mapd;
};

void path_of(char *out, size_t n, const char *name);
int cli_open(struct cli *c, const char *sock);
void cli_close(struct cli *c);
int cli_raw(struct cli *c, const char *s, size_t n);
int cli_send(struct cli *c, const char *req);
/* Read one netstring reply within ms; 0 ok, -1 EOF, -2 timeout,
 * -3 not a netstring. */
int cli_reply(struct cli *c, char *out, size_t outsz, int ms);
/* Send one request and return its reply in a static buffer. */
const char *ask(struct cli *c, const char *req);
/* True if the server closes the connection within ms. */
int closed_within(struct cli *c, int ms);
double now_s(void);

void script_policy(struct scripted *s, const char *dom, const char *mode,
		   const char *mx);
/* The domains every test uses (see t_protocol.c test_answers). */
void script_domains(struct scripted *s);
/* A server on unix socket dir/name; false (and a diagnostic) if not. */
bool start(struct srv *v, const char *name, const char *names, bool postfix_sts,
	   unsigned max_conns, unsigned delay_ms, unsigned deadline_ms);
void stop(struct srv *v);

#endif
