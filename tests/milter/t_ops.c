/*
 * t_ops.c - the daemon's operational helpers: TCP_NODELAY on the
 * listener (nodelay.c), the exclusive PID file (pidfile.c) and the user
 * lookup of the privilege drop (privs.c), the descriptor budget
 * (fdlimit.c, issue [harden] 2).
 */
#include "config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "fdlimit.h"
#include "nodelay.h"
#include "pidfile.h"
#include "privs.h"

static int
nodelay_of(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l) != 0)
		return -1;
	return v != 0;
}

int
main(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char why[256], spec[64], path[64], buf[64], name[64];
	int lfd, other, fd, st, c;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	ssize_t n;

	/* nodelay: a listener on 127.0.0.1:<ephemeral>, and another one on
	 * a different port that must be left alone. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	other = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || other < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 1) != 0 ||
	    bind(other, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(other, 1) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0) {
		printf("1..0 # SKIP no loopback TCP\n");
		return 0;
	}
	is_int(nodelay_of(lfd), 0, "listener starts without TCP_NODELAY");
	snprintf(spec, sizeof(spec), "inet:%u@127.0.0.1", ntohs(sa.sin_port));
	is_int(nodelay_listener(spec, why, sizeof(why)), 1,
	       "nodelay_listener finds the listener of %s", spec);
	is_int(nodelay_of(lfd), 1, "TCP_NODELAY set on it");
	is_int(nodelay_of(other), 0, "a listener on another port untouched");
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c >= 0 && connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		fd = accept(lfd, NULL, NULL);
		is_int(nodelay_of(fd), 1,
		       "an accepted connection inherits TCP_NODELAY");
		close(fd);
	}
	close(c);
	is_int(nodelay_listener("unix:/tmp/x.sock", why, sizeof(why)), 0,
	       "unix socket: nothing to do");
	is_int(nodelay_listener("inet:1@127.0.0.1", why, sizeof(why)), 0,
	       "no listener on the port: 0 (%s)", why);
	is_int(nodelay_listener("inet:@127.0.0.1", why, sizeof(why)), -1,
	       "no port: error (%s)", why);
	close(lfd);
	close(other);

	/* pidfile: written, exclusive against another process, and no
	 * symbolic links. */
	snprintf(path, sizeof(path), "/tmp/t_ops.%ld.pid", (long)getpid());
	unlink(path);
	fd = pidfile_open(path, why, sizeof(why));
	ok(fd >= 0, "pid file created (%s)", fd < 0 ? why : path);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	is_int(strtol(buf, NULL, 10), getpid(), "it holds our pid");
	pid = fork();
	if (pid == 0) {
		int f2 = pidfile_open(path, why, sizeof(why));

		_exit(f2 < 0 && strstr(why, "already running as pid") ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "another process is refused: already running");
	pidfile_close(fd, path);
	ok(access(path, F_OK) != 0, "pidfile_close removes the file");
	/* A stale file (no lock held) is taken over. */
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0) {
		(void)write(fd, "99999\n", 6);
		close(fd);
	}
	fd = pidfile_open(path, why, sizeof(why));
	ok(fd >= 0, "a stale PID file is reused");
	pidfile_close(fd, path);
	if (symlink("/tmp/t_ops-target", path) == 0) {
		fd = pidfile_open(path, why, sizeof(why));
		ok(fd < 0 && strstr(why, "symbolic link") != NULL,
		   "a symbolic link is refused (%s)", why);
		unlink(path);
		unlink("/tmp/t_ops-target");
	}

	/* privs_lookup: by name, by number, unknown. */
	ok(privs_lookup("root", &uid, &gid, name, sizeof(name), why,
			sizeof(why)) == 0 &&
		   uid == 0 && strcmp(name, "root") == 0,
	   "lookup root by name");
	ok(privs_lookup("0", &uid, &gid, name, sizeof(name), why,
			sizeof(why)) == 0 &&
		   strcmp(name, "root") == 0,
	   "lookup uid 0 by number -> root");
	ok(privs_lookup("no-such-user-mts", &uid, &gid, name, sizeof(name), why,
			sizeof(why)) != 0 &&
		   strstr(why, "no such user") != NULL,
	   "unknown user: %s", why);
	/* fdlimit: soft raised to hard; the map gets half of the rest */
	{
		struct rlimit rl;
		unsigned long nofile;
		int raised;

		nofile = fdlimit_raise(&raised, why, sizeof(why));
		ok(getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
			   rl.rlim_cur == rl.rlim_max &&
			   (rl.rlim_cur == RLIM_INFINITY ||
			    nofile == (unsigned long)rl.rlim_cur),
		   "fdlimit_raise: soft limit = hard limit (%lu)", nofile);
		is_int((int)fdlimit_map_budget(1024), (1024 - 128) / 2,
		       "fdlimit_map_budget(1024)");
		is_int((int)fdlimit_map_budget(65536), (65536 - 128) / 2,
		       "fdlimit_map_budget(65536)");
		is_int((int)fdlimit_map_budget(100), 16,
		       "fdlimit_map_budget(100): at least 16");
	}
	return tap_done();
}
