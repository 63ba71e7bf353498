-- tests/milter/mt_deadline.lua - one RCPT to a domain whose lookup can
-- never finish (the resolver does not answer): the reply must come
-- within LookupDeadline.  The shell measures the time.  Optional global
-- from miltertest -D: TAG (makes the domain distinct per session).
local conn = mt.connect(SOCKET, 40, 0.25)
assert(conn ~= nil)
assert(mt.negotiate(conn, nil, nil, nil) == nil)
assert(mt.mailfrom(conn, "<a@lab.test>") == nil)
mt.getreply(conn)
assert(mt.rcptto(conn, "<u@slow-" .. (TAG or tostring(os.time())) .. ".example>") == nil)
local r = mt.getreply(conn)
print((r == SMFIR_CONTINUE and "PASS" or "FAIL") .. " slow lookup -> continue at the deadline")
mt.disconnect(conn)
print("DONE")
