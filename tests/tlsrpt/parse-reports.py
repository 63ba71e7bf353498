#!/usr/bin/python3
"""tests/tlsrpt/parse-reports.py MAILDIR POSTDIR DAY - the TLS reports that
arrived in the lab, parsed back: every mail with TLS-Report-Domain in
MAILDIR (RFC 8460 5.3: multipart/report, the application/tlsrpt+gzip part,
its file name, Subject, submitter) and every POST stored by
tests/tlsrpt/receiver.py in POSTDIR (5.4: the media type), gunzipped and
read as JSON.  Prints one line per report and per policy element:
  MAIL DOMAIN headers=ok|BAD to=ADDR
  MAILREP DOMAIN TYPE ok=N fail=N types=T,T strings=N mx=M
  POST DOMAIN ctype=ok|BAD
  POSTREP ...as MAILREP
The expected submitter is lab.test, organization "mta-sts-milter lab",
contact tlsrpt-sender@lab.test (the lab tests' configuration)."""
import email, email.policy, glob, gzip, json, os, sys
maildir, posts, today = sys.argv[1:4]
def summ(rep, dom):
    out = []
    for p in rep["policies"]:
        pol = p["policy"]
        out.append("%s %s ok=%d fail=%d types=%s strings=%d mx=%s" % (
            dom, pol["policy-type"], p["summary"]["total-successful-session-count"],
            p["summary"]["total-failure-session-count"],
            ",".join(sorted(f["result-type"] for f in p.get("failure-details", []))) or "-",
            len(pol.get("policy-string", [])), ",".join(pol.get("mx-host", [])) or "-"))
    return out
for f in sorted(glob.glob(os.path.join(maildir, "*"))):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    dom = m.get("TLS-Report-Domain")
    if dom is None:
        continue
    ok = (m.get_content_type() == "multipart/report" and m.get_param("report-type") == "tlsrpt"
          and m.get("TLS-Report-Submitter") == "lab.test"
          and str(m.get("Subject")).startswith("Report Domain: %s Submitter: lab.test Report-ID: <" % dom))
    parts = [p for p in m.iter_parts() if p.get_content_type() == "application/tlsrpt+gzip"]
    fn = parts[0].get_filename() if parts else ""
    rep = json.loads(gzip.decompress(parts[0].get_payload(decode=True)))
    ok = ok and fn.startswith("lab.test!%s!" % dom) and fn.endswith(".json.gz")
    ok = ok and rep["organization-name"] == "mta-sts-milter lab" and rep["contact-info"] == "tlsrpt-sender@lab.test"
    ok = ok and rep["date-range"]["start-datetime"] == today + "T00:00:00Z"
    print("MAIL %s headers=%s to=%s" % (dom, "ok" if ok else "BAD", m.get("To")))
    for s in summ(rep, dom):
        print("MAILREP " + s)
for h in sorted(glob.glob(os.path.join(posts, "*.head"))):
    head = open(h).read()
    rep = json.loads(gzip.decompress(open(h[:-5] + ".body", "rb").read()))
    ct = "application/tlsrpt+gzip" in head and head.startswith("POST /tlsrpt ")
    dom = rep["policies"][0]["policy"]["policy-domain"]
    print("POST %s ctype=%s" % (dom, "ok" if ct else "BAD"))
    for s in summ(rep, dom):
        print("POSTREP " + s)
