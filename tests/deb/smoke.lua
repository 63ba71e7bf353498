-- tests/deb/smoke.lua - one miltertest session against the installed
-- daemon (driven by tests/deb/test-deb.sh).  Globals from miltertest -D:
--   SOCKET  the milter socket spec of the shipped configuration
--   HEADER  (optional) the name of the milter's header (HeaderName): a
--           copy from outside must be removed; none is added, as no
--           recipient domain here has a policy
-- Prints "PASS what" / "FAIL what" lines; the caller turns them into TAP.
-- Only recipients without any policy are used (an address literal, and
-- localhost, which the resolver answers itself): the daemon runs in a
-- network namespace with nothing but loopback, so no query leaves it.

local failed = false
local function check(cond, what)
	if cond then
		print("PASS " .. what)
	else
		print("FAIL " .. what)
		failed = true
	end
	return cond
end

local conn = mt.connect(SOCKET, 40, 0.25)
if not check(conn ~= nil, "connect to " .. tostring(SOCKET)) then
	error("cannot connect")
end
check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
if not mt.test_option(conn, SMFIP_NOCONNECT) then
	check(mt.conninfo(conn, "client.example", "127.0.0.1") == nil, "connect info")
end
if not mt.test_option(conn, SMFIP_NOHELO) then
	check(mt.helo(conn, "client.example") == nil, "helo")
end

check(mt.mailfrom(conn, "<sender@localhost>") == nil, "mail from sent")
check(mt.getreply(conn) == SMFIR_CONTINUE, "mail from -> continue")

-- An address literal names no domain, so there is no policy to look up:
-- no query, no deferral.
check(mt.rcptto(conn, "<user@[192.0.2.1]>") == nil, "rcpt address literal sent")
check(mt.getreply(conn) == SMFIR_CONTINUE, "rcpt user@[192.0.2.1] -> continue")

-- A domain with no policy (no _mta-sts record): passed.
check(mt.rcptto(conn, "<postmaster@localhost>") == nil, "rcpt localhost sent")
check(mt.getreply(conn) == SMFIR_CONTINUE, "rcpt postmaster@localhost -> continue")

if not mt.test_option(conn, SMFIP_NOHDRS) then
	check(mt.header(conn, "Subject", "mta-sts-milter package smoke test") == nil, "header")
	if HEADER ~= nil and HEADER ~= "" then
		check(mt.header(conn, HEADER, "example.com; mode=enforce; result=pass (spoofed)") == nil,
			"spoofed " .. HEADER .. " header")
	end
end
if not mt.test_option(conn, SMFIP_NOEOH) then
	check(mt.eoh(conn) == nil, "end of headers")
end
if not mt.test_option(conn, SMFIP_NOBODY) then
	check(mt.bodystring(conn, "hello\r\n") == nil, "body")
end
check(mt.eom(conn) == nil, "end of message sent")
local r = mt.getreply(conn)
check(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "end of message -> accepted")
if HEADER ~= nil and HEADER ~= "" and not mt.test_option(conn, SMFIP_NOHDRS) then
	check(mt.eom_check(conn, MT_HDRDELETE, HEADER), "end of message removes the spoofed " .. HEADER)
	check(not mt.eom_check(conn, MT_HDRADD, HEADER), "no " .. HEADER .. " added (no domain has a policy)")
end
mt.disconnect(conn)

if failed then
	error("some checks failed")
end
