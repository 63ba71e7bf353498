/*
 * sts_status.c - status and RFC 8460 result-type string tables.
 */
#include "config.h"

#include <stdio.h>

#include "sts_status.h"

static const char *const status_names[STS_STATUS_COUNT] = {
	[STS_OK] = "ok",
	[STS_NOTFOUND] = "notfound",
	[STS_TEMPFAIL] = "tempfail",
	[STS_INVALID] = "invalid",
	[STS_BOGUS] = "bogus",
	[STS_NOMEM] = "nomem",
};

/* RFC 8460 section 4.3 (result-type). */
static const char *const rpt_names[STS_RPT_COUNT] = {
	[STS_RPT_NONE] = "none",
	[STS_RPT_STARTTLS_NOT_SUPPORTED] = "starttls-not-supported",
	[STS_RPT_CERTIFICATE_HOST_MISMATCH] = "certificate-host-mismatch",
	[STS_RPT_CERTIFICATE_EXPIRED] = "certificate-expired",
	[STS_RPT_CERTIFICATE_NOT_TRUSTED] = "certificate-not-trusted",
	[STS_RPT_VALIDATION_FAILURE] = "validation-failure",
	[STS_RPT_TLSA_INVALID] = "tlsa-invalid",
	[STS_RPT_DNSSEC_INVALID] = "dnssec-invalid",
	[STS_RPT_DANE_REQUIRED] = "dane-required",
	[STS_RPT_STS_POLICY_FETCH_ERROR] = "sts-policy-fetch-error",
	[STS_RPT_STS_POLICY_INVALID] = "sts-policy-invalid",
	[STS_RPT_STS_WEBPKI_INVALID] = "sts-webpki-invalid",
};

const char *
sts_status_str(enum sts_status st)
{
	if ((unsigned)st >= STS_STATUS_COUNT)
		return "unknown";
	return status_names[st];
}

const char *
sts_rpt_str(enum sts_rpt r)
{
	if ((unsigned)r >= STS_RPT_COUNT)
		return "unknown";
	return rpt_names[r];
}

enum sts_status
sts_why(char *why, size_t whylen, enum sts_status st, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return st;
	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return st;
}
