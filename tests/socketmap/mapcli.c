/*
 * tests/socketmap/mapcli.c - what the map server's tests share (see
 * mapcli.h).
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mapcli.h"
#include "sts_netstring.h"

char dir[64];
unsigned t_idle_ms, t_request_ms;

void
path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

int
cli_open(struct cli *c, const char *sock)
{
	struct sockaddr_un sun;

	memset(c, 0, sizeof(*c));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

void
cli_close(struct cli *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int
cli_raw(struct cli *c, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
cli_send(struct cli *c, const char *req)
{
	char buf[2048];
	size_t n = sts_netstring_format(req, strlen(req), buf, sizeof(buf));

	return n > sizeof(buf) ? -1 : cli_raw(c, buf, n);
}

/* Read one netstring reply within ms; 0 ok, -1 EOF, -2 timeout,
 * -3 not a netstring. */
int
cli_reply(struct cli *c, char *out, size_t outsz, int ms)
{
	for (;;) {
		const char *data;
		size_t dlen, used;
		enum sts_status s =
			sts_netstring_parse(c->buf, c->len, sizeof(c->buf) - 16,
					    &data, &dlen, &used, NULL, 0);
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		ssize_t r;

		if (s == STS_OK) {
			snprintf(out, outsz, "%.*s", (int)dlen, data);
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			return 0;
		}
		if (s != STS_TEMPFAIL)
			return -3;
		if (poll(&p, 1, ms) <= 0)
			return -2;
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r <= 0)
			return -1;
		c->len += (size_t)r;
	}
}

/* Send one request and return its reply in a static buffer. */
const char *
ask(struct cli *c, const char *req)
{
	static char out[4096];

	if (cli_send(c, req) != 0)
		return "(send failed)";
	switch (cli_reply(c, out, sizeof(out), 3000)) {
	case 0:
		return out;
	case -1:
		return "(eof)";
	case -2:
		return "(timeout)";
	default:
		return "(garbage)";
	}
}

/* True if the server closes the connection within ms. */
int
closed_within(struct cli *c, int ms)
{
	char tmp[64];

	return cli_reply(c, tmp, sizeof(tmp), ms) == -1;
}

double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
script_policy(struct scripted *s, const char *dom, const char *mode,
	      const char *mx)
{
	char pol[512];

	snprintf(pol, sizeof(pol),
		 "version: STSv1\r\nmode: %s\r\n%smax_age: 86400\r\n", mode,
		 mx);
	scripted_set(s, dom, STS_OK, "20261128", STS_OK, pol);
}

/* The domains every test uses (see test_answers). */
void
script_domains(struct scripted *s)
{
	script_policy(
		s, "enforce.example", "enforce",
		"mx: mx1.enforce.example\r\nmx: *.mx.enforce.example\r\n");
	scripted_mx(s, "enforce.example", STS_OK, STS_SRC_INSECURE,
		    "mx1.enforce.example", false, false);
	script_policy(s, "testing.example", "testing",
		      "mx: mx.testing.example\r\n");
	script_policy(s, "none.example", "none", "");
	script_policy(s, "dane.example", "enforce", "mx: mx.dane.example\r\n");
	scripted_mx(s, "dane.example", STS_OK, STS_SRC_SECURE,
		    "mx.dane.example", false, false);
	scripted_tlsa(s, "mx.dane.example", STS_DANE_USABLE);
	/* issue 14 item 6: one MX with usable TLSA, one without */
	script_policy(s, "mixed.example", "enforce", "mx: *.mixed.example\r\n");
	scripted_mx(s, "mixed.example", STS_OK, STS_SRC_SECURE,
		    "a.mixed.example,b.mixed.example", false, false);
	scripted_tlsa(s, "a.mixed.example", STS_DANE_USABLE);
	/* a smart host "[relay.example]" with its own TLSA (item 1) */
	script_policy(s, "relay.example", "enforce", "mx: relay.example\r\n");
	scripted_tlsa(s, "relay.example", STS_DANE_USABLE);
	/* a TXT record but no fetchable policy: RFC 8461 5.1, none */
	scripted_set(s, "fetchfail.example", STS_OK, "1", STS_TEMPFAIL, NULL);
}

bool
start(struct srv *v, const char *name, const char *names, bool postfix_sts,
      unsigned max_conns, unsigned delay_ms, unsigned deadline_ms)
{
	char spec[128], why[256] = "";
	struct sts_engine_conf ec;
	struct sts_source src;
	struct mapd_conf conf;

	memset(v, 0, sizeof(*v));
	v->script = scripted_new();
	if (v->script == NULL)
		return false;
	script_domains(v->script);
	scripted_delay(v->script, delay_ms);
	src = scripted_source(v->script);
	sts_engine_conf_defaults(&ec);
	ec.probe = false;
	ec.save_interval = 0;
	v->engine = sts_engine_new(&ec, &src, why, sizeof(why));
	if (v->engine == NULL) {
		printf("# sts_engine_new: %s\n", why);
		scripted_free(v->script);
		return false;
	}
	snprintf(spec, sizeof(spec), "unix:%s/%s", dir, name);
	memset(&conf, 0, sizeof(conf));
	conf.socket = spec;
	conf.names = names;
	conf.postfix_sts = postfix_sts;
	conf.deadline_ms = deadline_ms;
	conf.max_conns = max_conns;
	conf.idle_ms = t_idle_ms;
	conf.request_ms = t_request_ms;
	conf.unix_mode = 0600;
	v->mapd = mapd_new(&conf, why, sizeof(why));
	if (v->mapd == NULL ||
	    mapd_start(v->mapd, v->engine, why, sizeof(why)) != 0) {
		printf("# mapd: %s\n", why);
		mapd_free(v->mapd);
		sts_engine_free(v->engine);
		scripted_free(v->script);
		return false;
	}
	return true;
}

void
stop(struct srv *v)
{
	mapd_free(v->mapd);
	sts_engine_free(v->engine);
	scripted_free(v->script);
}
