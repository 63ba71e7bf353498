-- tests/milter/mt_load.lua - one of many concurrent sessions (run in
-- parallel by tests/milter/miltertest.sh): each holds its connection
-- open across a pause, so they all overlap.
local conn = mt.connect(SOCKET, 40, 0.25)
assert(conn ~= nil)
assert(mt.negotiate(conn, nil, nil, nil) == nil)
assert(mt.mailfrom(conn, "<a@lab.test>") == nil)
mt.getreply(conn)
assert(mt.rcptto(conn, "<u@defer.test>") == nil)
local r1 = mt.getreply(conn)
mt.sleep(1)
assert(mt.rcptto(conn, "<u@unknown.example>") == nil)
local r2 = mt.getreply(conn)
assert(mt.header(conn, HEADER, "forged") == nil)
assert(mt.eom(conn) == nil)
local r3 = mt.getreply(conn)
local ok = r1 == SMFIR_REPLYCODE and r2 == SMFIR_CONTINUE and r3 == SMFIR_CONTINUE
	and mt.eom_check(conn, MT_HDRDELETE, HEADER) and mt.eom_check(conn, MT_HDRADD, HEADER)
mt.disconnect(conn)
print(ok and "PASS" or "FAIL")
