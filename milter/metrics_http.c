/*
 * milter/metrics_http.c - MetricsSocket: GET /metrics over HTTP, served
 * by libmicrohttpd (a maintained HTTP server from Debian, not another
 * hand-written parser).  The listening socket is made by sockspec (as
 * root, before the privilege drop); libmicrohttpd runs one internal
 * thread with poll(), at most METRICS_MAX_CONNS connections, each with
 * a METRICS_TIMEOUT_S timeout, so a slow or hostile client cannot
 * reach the mail paths: they never wait for this thread.
 *
 * Only GET (and HEAD) of /metrics is answered (200, text/plain;
 * version=0.0.4); any other path is 404, any other method 405.
 */
#include "config.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "sockspec.h"

#define METRICS_MAX_CONNS 16
#define METRICS_TIMEOUT_S 10

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

struct metrics_http {
	struct MHD_Daemon *d;
	struct sts_engine *e;
	int fd;
};

static mhd_result
reply(struct MHD_Connection *conn, unsigned code, const char *text)
{
	struct MHD_Response *r;
	mhd_result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
					    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static mhd_result
handle(void *cls, struct MHD_Connection *conn, const char *url,
       const char *method, const char *version, const char *upload,
       size_t *upload_len, void **state)
{
	struct metrics_http *h = cls;
	struct MHD_Response *r;
	mhd_result ret;
	char *buf;
	size_t len;

	(void)version;
	(void)upload;
	if (*state == NULL) { /* first call: headers only */
		*state = h;
		return MHD_YES;
	}
	if (*upload_len != 0)
		return reply(conn, 413, "no request body expected\n");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(conn, 405, "only GET\n");
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, 404, "try /metrics\n");
	if (metrics_format(h->e, &buf, &len) != 0)
		return reply(conn, 500, "out of memory\n");
	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type",
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

struct metrics_http *
metrics_http_new(const char *spec, char *why, size_t whylen)
{
	struct metrics_http *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	h->fd = sockspec_listen(spec, 0660, why, whylen);
	if (h->fd < 0) {
		free(h);
		return NULL;
	}
	return h;
}

int
metrics_http_start(struct metrics_http *h, struct sts_engine *e, char *why,
		   size_t whylen)
{
	h->e = e;
	h->d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
		handle, h, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_MAX_CONNS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
		MHD_OPTION_END);
	if (h->d == NULL) {
		snprintf(why, whylen, "libmicrohttpd could not start");
		return -1;
	}
	return 0;
}

void
metrics_http_stop(struct metrics_http *h)
{
	if (h == NULL)
		return;
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	close(h->fd);
	free(h);
}
