/*
 * t_conf.c - the configuration reader: defaults, every value type, and
 * every kind of error with its FILE:LINE.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "conf.h"
#include "log.h"

static char path[64];

static struct conf *
load_text(const char *text, char *why, size_t whylen)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return NULL;
	fputs(text, f);
	fclose(f);
	return conf_load(path, NULL, why, whylen);
}

/* Each bad file must fail with "PATH:LINE: <msg containing want>". */
static const struct {
	const char *text;
	unsigned line;
	const char *want;
} bad[] = {
	{"Bogus 1\n", 1, "unknown option \"Bogus\""},
	{"# c\n\nSocket inet:1@127.0.0.1\nSocket inet:2@127.0.0.1\n", 4,
	 "Socket given twice"},
	{"Socket\n", 1, "Socket: a value is required"},
	{"Socket none\n", 1, "Socket: a value is required"},
	{"Socket tcp:25\n", 1, "Socket: "},
	{"MapSocket inet:x@\n", 1, "MapSocket: "},
	/* issue 14 item 5: a list of sockets, each checked, at most 4 */
	{"MapSocket inet:8461@127.0.0.1, inet:x@\n", 1, "MapSocket: "},
	{"MapSocket inet:1@127.0.0.1 inet:2@127.0.0.1 inet:3@127.0.0.1 "
	 "inet:4@127.0.0.1 inet:5@127.0.0.1\n",
	 1, "MapSocket: more than 4 sockets"},
	{"Probe maybe\n", 1, "Probe: expected yes or no"},
	{"CacheSize 0\n", 1, "CacheSize: 0 is outside 1..10000000"},
	{"CacheSize 12abc\n", 1, "CacheSize: not a number"},
	{"CacheSize -1\n", 1, "CacheSize: not a number"},
	{"CacheSize 99999999999999999999999\n", 1, "CacheSize: not a number"},
	{"Workers 65\n", 1, "Workers: 65 is outside 1..64"},
	{"LookupDeadline 26s\n", 1, "LookupDeadline: 26s is outside"},
	{"LookupDeadline 3x\n", 1, "LookupDeadline: unit must be s or ms"},
	{"LookupDeadline fast\n", 1, "LookupDeadline: not a duration"},
	{"FailureBackoff 60\n", 1, "FailureBackoff: 60 is outside 300..86400"},
	{"RecheckInterval 0\n", 1, "RecheckInterval: 0 is outside 1..3600"},
	{"NegativeTTL 2d\n", 1, "NegativeTTL: unit must be s, m or h"},
	{"On-EnforceFailure bounce\n", 1,
	 "On-EnforceFailure: expected accept, tag, tempfail or reject"},
	{"LogLevel chatty\n", 1, "LogLevel: expected debug"},
	{"AddressFamilies inet6\n", 1,
	 "AddressFamilies: expected auto, all, ipv4 or ipv6, not \"inet6\""},
	{"On-TestingFailure tempfail\n", 1,
	 "On-TestingFailure: tempfail is not allowed here (at most tag)"},
	{"On-TempError reject\n", 1,
	 "On-TempError: reject is not allowed here (at most tempfail)"},
	{"UMask 0999\n", 1, "UMask: not an octal mode"},
	{"SocketMode 17777\n", 1, "SocketMode: not an octal mode"},
	{"HeaderName X-Bad:Name\n", 1, "HeaderName: not a header field name"},
	{"HeaderName X Y\n", 1, "HeaderName: not a header field name"},
	{"StateFile relative/path\n", 1, "StateFile: not an absolute path"},
	{"Probe yes\n\n\nProbe\tno\n", 4, "Probe given twice"},
};

/* conf_next_word() splits MapSocket lists. */
static void
test_words(void)
{
	const char *p = " inet:8461@127.0.0.1,inet:5461@127.0.0.1 ,, unix:/x ";
	char w[64], small[8];
	char got[256] = "";

	while (conf_next_word(&p, w, sizeof(w))) {
		strcat(got, w);
		strcat(got, "|");
	}
	is_str(got, "inet:8461@127.0.0.1|inet:5461@127.0.0.1|unix:/x|",
	       "conf_next_word splits on blanks and commas");
	p = "inet:8461@127.0.0.1";
	ok(!conf_next_word(&p, small, sizeof(small)),
	   "conf_next_word refuses a word that does not fit");
}

int
main(void)
{
	char why[STS_WHY_MAX * 2], want[512], diff[256];
	struct conf *c, *d;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "/tmp/t_conf.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);

	/* Defaults (also what an empty file gives). */
	c = load_text("", why, sizeof(why));
	ok(c != NULL, "empty file is valid");
	if (c == NULL)
		return tap_done();
	is_str(c->socket, "inet:8891@127.0.0.1", "default Socket");
	ok(c->map_socket == NULL, "MapSocket off by default");
	ok(c->user == NULL && c->pid_file == NULL && c->state_file == NULL,
	   "no UserID, PidFile, StateFile by default");
	is_str(c->header_name, "X-MTA-STS", "default HeaderName");
	is_int(c->lookup_deadline_ms, 3000, "default LookupDeadline 3s");
	is_int(c->failure_backoff, 300, "default FailureBackoff 5m");
	is_int(c->recheck_interval, 60, "default RecheckInterval 1m");
	is_int(c->react.enforce_failure, STS_VERDICT_DEFER,
	       "default On-EnforceFailure tempfail");
	is_int(c->react.testing_failure, STS_VERDICT_TAG,
	       "default On-TestingFailure tag");
	is_int(c->log_level, LOG_INFO, "default LogLevel info");
	is_int(c->address_families, STS_AF_AUTO,
	       "default AddressFamilies auto");
	is_int(c->umask, 07, "default UMask 007");
	is_int(c->socket_mode, 0660, "default SocketMode 0660");
	ok(c->probe, "Probe on by default");
	conf_unref(c);

	/* Every value type, comments, case-insensitive names, CRLF. */
	c = load_text("# sample\n"
		      "  socket   unix:/run/m.sock   # trailing comment\n"
		      "MapSocket\tinet:8461@127.0.0.1, inet:5461@127.0.0.1\r\n"
		      "MAPNAMES postfix sts\n"
		      "MapPostfixSTS on\n"
		      "UserID nobody\n"
		      "PidFile /run/x.pid\n"
		      "StateFile /var/lib/x/state\n"
		      "OverrideFile none\n"
		      "DNSTimeout 1500ms\n"
		      "AddressFamilies IPv4\n"
		      "LookupDeadline 0\n"
		      "NegativeTTL 1h\n"
		      "FailureBackoff 10m\n"
		      "CacheSize 5\n"
		      "Probe off\n"
		      "On-EnforceFailure REJECT\n"
		      "On-TempError tempfail\n"
		      "On-DNSSECBogus accept\n"
		      "HeaderName X-Our-STS\n"
		      "LogLevel debug\n"
		      "UMask 022\n"
		      "Relayhost [smarthost.example]:587\n"
		      "Forwarders 127.0.0.1 ::1\n",
		      why, sizeof(why));
	ok(c != NULL, "full file parses (%s)", c ? "" : why);
	if (c != NULL) {
		is_str(c->socket, "unix:/run/m.sock", "Socket, comment cut");
		is_str(c->map_socket,
		       "inet:8461@127.0.0.1, inet:5461@127.0.0.1",
		       "CRLF stripped, a list of map sockets kept");
		is_str(c->map_names, "postfix sts", "MapNames");
		ok(c->map_postfix_sts, "MapPostfixSTS on");
		is_str(c->user, "nobody", "UserID");
		ok(c->override_file == NULL, "\"none\" switches a file off");
		is_int(c->dns_timeout_ms, 1500, "1500ms");
		is_int(c->address_families, STS_AF_IPV4,
		       "AddressFamilies IPv4 (any case)");
		is_int(c->lookup_deadline_ms, 0, "LookupDeadline 0");
		is_int(c->negative_ttl, 3600, "1h = 3600 s");
		is_int(c->failure_backoff, 600, "10m = 600 s");
		is_int((long long)c->cache_size, 5, "CacheSize 5");
		ok(!c->probe, "Probe off");
		is_int(c->react.enforce_failure, STS_VERDICT_REJECT,
		       "On-EnforceFailure REJECT (any case)");
		is_int(c->react.temp_error, STS_VERDICT_DEFER,
		       "On-TempError tempfail");
		is_int(c->react.dnssec_bogus, STS_VERDICT_PASS,
		       "On-DNSSECBogus accept");
		is_str(c->header_name, "X-Our-STS", "HeaderName");
		is_int(c->log_level, LOG_DEBUG, "LogLevel debug");
		is_int(c->umask, 022, "UMask 022");
		is_str(c->relayhost, "[smarthost.example]:587", "Relayhost");
		is_str(c->forwarders, "127.0.0.1 ::1", "Forwarders");

		/* conf_restart_diff names what a reload cannot change. */
		d = load_text("Socket unix:/run/m.sock\nHeaderName X-Other\n"
			      "Probe off\n",
			      why, sizeof(why));
		ok(d != NULL, "second file parses");
		if (d != NULL) {
			conf_restart_diff(c, d, diff, sizeof(diff));
			ok(strstr(diff, "MapSocket") != NULL &&
				   strstr(diff, "UserID") != NULL &&
				   strstr(diff, "HeaderName") == NULL &&
				   strstr(diff, "Probe ") == NULL &&
				   strstr(diff, "Socket ") != diff,
			   "restart diff: %s", diff);
			conf_unref(d);
		}
		/* Snapshots: install, take a reference, replace. */
		conf_install(conf_ref(c));
		d = conf_current();
		ok(d == c, "conf_current returns the installed snapshot");
		conf_install(NULL);
		is_str(d->socket, "unix:/run/m.sock",
		       "a held snapshot survives its replacement");
		conf_unref(d);
		conf_unref(c);
	}

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = load_text(bad[i].text, why, sizeof(why));
		snprintf(want, sizeof(want), "%s:%u: %s", path, bad[i].line,
			 bad[i].want);
		ok(c == NULL && strncmp(why, want, strlen(want)) == 0,
		   "error '%s' -> %s", want + strlen(path), why);
		conf_unref(c);
	}

	/* Overlong line, and the line after it still counts. */
	{
		char *big = malloc(CONF_MAX_LINE + 64);

		if (big == NULL)
			return 1;
		memset(big, 'a', CONF_MAX_LINE + 10);
		snprintf(big + CONF_MAX_LINE + 10, 40, "\nNope 1\n");
		c = load_text(big, why, sizeof(why));
		snprintf(want, sizeof(want), "%s:1: line longer", path);
		ok(c == NULL && strncmp(why, want, strlen(want)) == 0,
		   "overlong line reported at line 1: %s", why);
		free(big);
	}
	/* Every error is reported, each with its line. */
	{
		FILE *errs = tmpfile();
		char buf[2048];
		size_t n;

		c = load_text("Bogus 1\nProbe maybe\n", why, sizeof(why));
		conf_unref(c);
		if (errs != NULL) {
			c = conf_load(path, errs, why, sizeof(why));
			rewind(errs);
			n = fread(buf, 1, sizeof(buf) - 1, errs);
			buf[n] = '\0';
			fclose(errs);
			snprintf(want, sizeof(want), "%s:2: Probe", path);
			ok(c == NULL && strstr(buf, ":1: unknown") != NULL &&
				   strstr(buf, want) != NULL,
			   "both errors listed");
		}
	}
	/* NUL byte and missing file. */
	{
		FILE *f = fopen(path, "w");

		if (f != NULL) {
			fwrite("Probe yes\0x\n", 1, 12, f);
			fclose(f);
		}
		c = conf_load(path, NULL, why, sizeof(why));
		ok(c == NULL && strstr(why, ":1: NUL byte") != NULL,
		   "NUL byte: %s", why);
	}
	unlink(path);
	c = conf_load(path, NULL, why, sizeof(why));
	ok(c == NULL && strstr(why, ":0: cannot open") != NULL,
	   "missing file: %s", why);
	test_words();
	return tap_done();
}
