-- tests/milter/mt_session.lua - miltertest script against the real
-- mta-sts-milter (driven by tests/milter/miltertest.sh, which starts the
-- daemon with tests' override file and a resolver that answers nothing).
-- Globals from miltertest -D: SOCKET, HEADER.
-- Prints "PASS what" / "FAIL what"; the shell turns them into TAP.
-- (LAB.md pitfalls 20-23: conninfo may be negotiated away; mt.* return
-- nil on success; a Lua error exits 1 silently; setreply+TEMPFAIL shows
-- up as SMFIR_REPLYCODE.)

local function check(cond, what)
	print((cond and "PASS " or "FAIL ") .. what)
	return cond
end

local function session()
	local conn = mt.connect(SOCKET, 40, 0.25)
	if not check(conn ~= nil, "connect to " .. SOCKET) then
		error("cannot connect")
	end
	check(mt.negotiate(conn, nil, nil, nil) == nil, "negotiate")
	if not mt.test_option(conn, SMFIP_NOCONNECT) then
		mt.conninfo(conn, "client.lab.test", "127.0.0.1")
	end
	if not mt.test_option(conn, SMFIP_NOHELO) then
		mt.helo(conn, "client.lab.test")
	end
	return conn
end

local function rcpt(conn, addr, want, what)
	check(mt.rcptto(conn, addr) == nil, "rcpt " .. addr .. " sent")
	local r = mt.getreply(conn)
	check(r == want, what .. " (" .. addr .. ")")
end

-- 0. Negotiation (milter/smfi.c cb_negotiate): only the actions used,
-- every unused step skipped, no round trip per header or for MAIL.
local conn = session()
check(mt.test_action(conn, SMFIF_ADDHDRS) and mt.test_action(conn, SMFIF_CHGHDRS),
      "negotiated actions: add and change headers")
check(not mt.test_action(conn, SMFIF_ADDRCPT) and not mt.test_action(conn, SMFIF_CHGBODY),
      "negotiated actions: nothing else")
check(mt.test_option(conn, SMFIP_NR_HDR), "negotiated: headers get no reply (SMFIP_NR_HDR)")
check(mt.test_option(conn, SMFIP_NR_MAIL), "negotiated: MAIL gets no reply (SMFIP_NR_MAIL)")
check(not mt.test_option(conn, SMFIP_NR_RCPT), "negotiated: RCPT is answered")
check(mt.test_option(conn, SMFIP_NOCONNECT) and mt.test_option(conn, SMFIP_NOHELO)
      and mt.test_option(conn, SMFIP_NODATA) and mt.test_option(conn, SMFIP_NOEOH)
      and mt.test_option(conn, SMFIP_NOBODY) and mt.test_option(conn, SMFIP_NOUNKNOWN),
      "negotiated: connect, HELO, DATA, EOH, body, unknown skipped")
check(not mt.test_option(conn, SMFIP_NOHDRS) and not mt.test_option(conn, SMFIP_NOMAIL)
      and not mt.test_option(conn, SMFIP_NORCPT), "negotiated: MAIL, RCPT, headers kept")

-- 1. Each recipient form, and mixed verdicts in one message.
-- (miltertest reads no reply after MAIL and the headers; a stray reply
-- would be taken as the answer to RCPT or EOM and fail the checks.)
mt.macro(conn, SMFIC_MAIL, "i", "QID0001")
check(mt.mailfrom(conn, "<sender@lab.test>") == nil, "mail from")
check(mt.getreply(conn) == SMFIR_CONTINUE, "mail from -> continue")
rcpt(conn, "<u@defer.test>", SMFIR_REPLYCODE, "override defer -> 4xx")
rcpt(conn, "<u@DEFER.Test.>", SMFIR_REPLYCODE, "upper case + trailing dot -> same domain, 4xx")
rcpt(conn, "<\"a@skip.test\"@defer.test>", SMFIR_REPLYCODE, "quoted local part: domain after the quote")
rcpt(conn, "<@skip.test:u@defer.test>", SMFIR_REPLYCODE, "source route ignored")
rcpt(conn, "<u@reject.test>", SMFIR_REPLYCODE, "override reject -> 5xx")
rcpt(conn, "<u@skip.test>", SMFIR_CONTINUE, "override skip -> accept")
rcpt(conn, "<\"a@defer.test\"@skip.test>", SMFIR_CONTINUE, "quoted @ is not the domain")
rcpt(conn, "<u@[192.0.2.1]>", SMFIR_CONTINUE, "address literal -> accept")
rcpt(conn, "<u@[IPv6:2001:db8::1]>", SMFIR_CONTINUE, "IPv6 literal -> accept")
rcpt(conn, "<postmaster>", SMFIR_CONTINUE, "no domain -> accept")
rcpt(conn, "<>", SMFIR_CONTINUE, "empty -> accept")
rcpt(conn, "<u@b\xc3\xbccher.defer.test>", SMFIR_CONTINUE, "IDN (not under a rule) -> accept")
rcpt(conn, "<u@" .. string.rep("a", 300) .. ".example>", SMFIR_CONTINUE, "overlong domain (300 bytes) -> accept")
rcpt(conn, "<u@unknown.example>", SMFIR_CONTINUE, "unreachable DNS -> accept (tag)")
-- Steps without a callback are negotiated away (pitfall 20): skip them.
if not mt.test_option(conn, SMFIP_NODATA) then check(mt.data(conn) == nil, "data") end
check(mt.header(conn, "Subject", "hello") == nil, "header Subject")
check(mt.header(conn, HEADER, "domain=unknown.example result=pass") == nil, "spoofed header 1")
check(mt.header(conn, string.lower(HEADER), "forged") == nil, "spoofed header 2 (other case)")
if not mt.test_option(conn, SMFIP_NOEOH) then check(mt.eoh(conn) == nil, "eoh") end
if not mt.test_option(conn, SMFIP_NOBODY) then check(mt.bodystring(conn, "hi\r\n") == nil, "body") end
check(mt.eom(conn) == nil, "eom")
check(mt.getreply(conn) == SMFIR_CONTINUE, "eom -> continue")
check(mt.eom_check(conn, MT_HDRDELETE, HEADER), "spoofed header deleted")
check(mt.eom_check(conn, MT_HDRADD, HEADER), "our header added")
local v = mt.getheader(conn, HEADER, 0)
check(v ~= nil and string.find(v, "domain=unknown.example", 1, true) ~= nil,
      "header names unknown.example: " .. tostring(v))
check(v ~= nil and string.find(v, "result=temperror", 1, true) ~= nil,
      "header says temperror")
check(v ~= nil and string.find(v, "defer.test", 1, true) == nil,
      "deferred domain not in the header")
check(mt.getheader(conn, HEADER, 1) == nil, "exactly one header added")

-- 2. Same connection, next message: exempt sender is never deferred.
check(mt.mailfrom(conn, "<TLSRPT@lab.test>") == nil, "mail from exempt")
check(mt.getreply(conn) == SMFIR_CONTINUE, "exempt mail from -> continue")
rcpt(conn, "<u@defer.test>", SMFIR_CONTINUE, "exempt sender: defer rule not applied")
rcpt(conn, "<u@reject.test>", SMFIR_CONTINUE, "exempt sender: reject rule not applied")
if not mt.test_option(conn, SMFIP_NODATA) then mt.data(conn) end
check(mt.eom(conn) == nil, "eom 2")
check(mt.getreply(conn) == SMFIR_CONTINUE, "eom 2 -> continue")
check(not mt.eom_check(conn, MT_HDRDELETE), "nothing deleted in message 2")
mt.disconnect(conn)

-- 3. Another connection: an aborted message leaves nothing behind.
conn = session()
check(mt.mailfrom(conn, "<a@lab.test>") == nil, "mail from 3")
mt.getreply(conn)
rcpt(conn, "<u@skip.test>", SMFIR_CONTINUE, "rcpt 3")
mt.abort(conn)
check(mt.mailfrom(conn, "<a@lab.test>") == nil, "mail from 4")
mt.getreply(conn)
rcpt(conn, "<u@defer.test>", SMFIR_REPLYCODE, "after abort, rules still apply")
mt.disconnect(conn)

-- 4. An MTA that offers no "no reply" steps (sendmail 8.13: protocol
-- version 2, steps 0x7f): nothing is asked that it lacks, and each header
-- is answered (libmilter answers for the callback's SMFIS_NOREPLY).
-- miltertest 1.6 takes mt.negotiate(conn, version, STEPS, ACTIONS): the
-- man page has the last two the other way round.
conn = mt.connect(SOCKET, 40, 0.25)
check(mt.negotiate(conn, 2, 0x7f, nil) == nil, "old MTA: negotiate (version 2, steps 0x7f)")
check(not mt.test_option(conn, SMFIP_NR_HDR), "old MTA: no NR_HDR asked for")
check(not mt.test_option(conn, SMFIP_NR_MAIL), "old MTA: no NR_MAIL asked for")
check(not mt.test_option(conn, SMFIP_NODATA), "old MTA: no NODATA asked for")
check(mt.mailfrom(conn, "<a@lab.test>") == nil, "old MTA: mail from")
check(mt.getreply(conn) == SMFIR_CONTINUE, "old MTA: mail from answered continue")
rcpt(conn, "<u@skip.test>", SMFIR_CONTINUE, "old MTA: rcpt")
if not mt.test_option(conn, SMFIP_NODATA) then mt.data(conn); mt.getreply(conn) end
check(mt.header(conn, "Subject", "old") == nil, "old MTA: header sent")
check(mt.getreply(conn) == SMFIR_CONTINUE, "old MTA: header answered continue")
check(mt.header(conn, HEADER, "forged") == nil, "old MTA: spoofed header sent")
check(mt.getreply(conn) == SMFIR_CONTINUE, "old MTA: spoofed header answered continue")
check(mt.eom(conn) == nil, "old MTA: eom")
check(mt.getreply(conn) == SMFIR_CONTINUE, "old MTA: eom -> continue")
check(mt.eom_check(conn, MT_HDRDELETE, HEADER), "old MTA: spoofed header deleted")
mt.disconnect(conn)
print("DONE")
