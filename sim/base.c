/*
 * base.c - shared helpers: host allocation that cannot fail silently,
 * size parsing, and the name tables of base.h.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base.h"

const char *const fail_reason_names[FAIL_NREASONS] = {
	[FAIL_NONE]        = "none",
	[FAIL_NOMEM]       = "nomem",
	[FAIL_SUBMAP_FULL] = "submap_full",
	[FAIL_VA]          = "no_va",
	[FAIL_PGTABLE]     = "pgtable",
	[FAIL_ZONE_MAX]    = "zone_max",
	[FAIL_TOO_BIG]     = "too_big",
};

void die(const char *fmt, ...)
{
	va_list ap;
	fputs("kmemsim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of host memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die("out of host memory (%zu x %zu bytes)", n, size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of host memory (%zu bytes)", n);
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	uint64_t mul = 1;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': mul = KIB; end++; break;
	case 'M': mul = MIB; end++; break;
	case 'G': mul = GIB; end++; break;
	case 'T': mul = 1024 * GIB; end++; break;
	default: return false;
	}
	if (mul > 1 && (*end == 'i' || *end == 'I'))
		end++;
	if (mul > 1 && (*end == 'b' || *end == 'B'))
		end++;
	if (*end != '\0' || (mul > 1 && v > UINT64_MAX / mul))
		return false;
	*out = v * mul;
	return true;
}
