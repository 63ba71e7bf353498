-- tests/milter/mt_relay.lua - with Relayhost [defer.test]:587 the smart
-- host's domain is the policy domain of every recipient (RFC 8461 3.4):
-- the override "defer.test defer" applies to mail for skip.test too.
local conn = mt.connect(SOCKET, 40, 0.25)
assert(conn ~= nil)
assert(mt.negotiate(conn, nil, nil, nil) == nil)
assert(mt.mailfrom(conn, "<a@lab.test>") == nil)
mt.getreply(conn)
assert(mt.rcptto(conn, "<u@skip.test>") == nil)
local r = mt.getreply(conn)
print((r == SMFIR_REPLYCODE and "PASS" or "FAIL") .. " Relayhost: skip.test recipient judged by defer.test's rule")
assert(mt.rcptto(conn, "<u@DEFER.test.>") == nil)
r = mt.getreply(conn)
print((r == SMFIR_REPLYCODE and "PASS" or "FAIL") .. " Relayhost: the smart host's own domain in any form")
mt.disconnect(conn)
print("DONE")
