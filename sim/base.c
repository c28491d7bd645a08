/*
 * base.c - shared helpers: host allocation that cannot fail silently,
 * size parsing, and the name tables of base.h.
 */
#include <ctype.h>
#include <errno.h>
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
	[FAIL_CACHE_SIZE]  = "cache_size",
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

#ifndef KMEMSIM_GIT
#define KMEMSIM_GIT "unknown"
#endif

const char *kmemsim_git_commit(void)
{
	return KMEMSIM_GIT;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

char *argv_quote(int argc, char *const *argv)
{
	size_t cap = 1;
	for (int i = 0; i < argc; i++)
		cap += 4 * strlen(argv[i]) + 3;
	char *out = xmalloc(cap), *o = out;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (i)
			*o++ = ' ';
		bool plain = *a != '\0';
		for (const char *c = a; *c && plain; c++)
			plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./,:@%", *c) != NULL;
		if (plain) {
			o = stpcpy(o, a);
			continue;
		}
		*o++ = '\'';
		for (const char *c = a; *c; c++)
			o = *c == '\'' ? stpcpy(o, "'\\''") : (*o = *c, o + 1);
		*o++ = '\'';
	}
	*o = '\0';
	return out;
}

enum parse_result parse_u64(const char *s, bool size_suffix, uint64_t *out)
{
	if (!s)
		return PARSE_BAD;
	bool negative = *s == '-';
	const char *p = s + negative;
	int base = p[0] == '0' && (p[1] == 'x' || p[1] == 'X') ? 16 : 10;
	if (base == 16)
		p += 2;
	if (!(base == 16 ? isxdigit((unsigned char)*p) : isdigit((unsigned char)*p)))
		return PARSE_BAD;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p, &end, base);
	bool range = errno == ERANGE;
	uint64_t mul = 1;
	if (size_suffix) {
		switch (toupper((unsigned char)*end)) {
		case 'K': mul = KIB; break;
		case 'M': mul = MIB; break;
		case 'G': mul = GIB; break;
		case 'T': mul = 1024 * GIB; break;
		default: break;
		}
		if (mul > 1) {
			end++;
			if (*end == 'i' || *end == 'I')
				end++;
			if (*end == 'b' || *end == 'B')
				end++;
		}
	}
	if (*end != '\0')
		return PARSE_BAD;
	if (range || negative || v > UINT64_MAX / mul)
		return PARSE_RANGE;
	*out = (uint64_t)v * mul;
	return PARSE_OK;
}
