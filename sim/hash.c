/*
 * hash.c - BLAKE2b-256, unkeyed, as RFC 7693 specifies it (sections 2.4
 * G, 3.2 F, 3.3 the parameter block: digest length 32, fanout and depth
 * 1), so its digests equal `b2sum -l 256` (t_sweep.sh checks one). Used
 * once per run on its input file and on its configuration text: not on
 * any hot path. Chosen over SHA-256 for its speed in plain C (a large
 * trace is hashed at every run that records into a database) and because
 * coreutils ships a checker.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "hash.h"

static const uint64_t hash_iv[8] = {
	0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
	0x510e527fade682d1ull, 0x9b05688c2b3e6c1full, 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull,
};

static const uint8_t hash_sigma[12][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
};

static inline uint64_t hash_rotr(uint64_t x, unsigned n)
{
	return (x >> n) | (x << (64 - n));
}

static inline uint64_t hash_load64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define HASH_G(a, b, c, d, x, y) do { \
	v[a] = v[a] + v[b] + (x); v[d] = hash_rotr(v[d] ^ v[a], 32); \
	v[c] = v[c] + v[d];       v[b] = hash_rotr(v[b] ^ v[c], 24); \
	v[a] = v[a] + v[b] + (y); v[d] = hash_rotr(v[d] ^ v[a], 16); \
	v[c] = v[c] + v[d];       v[b] = hash_rotr(v[b] ^ v[c], 63); \
} while (0)

/* F: compress one 128-byte block; last: the final block */
static void hash_compress(struct hash *h, const uint8_t *block, bool last)
{
	uint64_t v[16], m[16];
	for (int i = 0; i < 16; i++)
		m[i] = hash_load64(block + 8 * i);
	for (int i = 0; i < 8; i++) {
		v[i] = h->h[i];
		v[i + 8] = hash_iv[i];
	}
	v[12] ^= h->t[0];
	v[13] ^= h->t[1];
	if (last)
		v[14] = ~v[14];
	for (int r = 0; r < 12; r++) {
		const uint8_t *s = hash_sigma[r];
		HASH_G(0, 4, 8, 12, m[s[0]], m[s[1]]);
		HASH_G(1, 5, 9, 13, m[s[2]], m[s[3]]);
		HASH_G(2, 6, 10, 14, m[s[4]], m[s[5]]);
		HASH_G(3, 7, 11, 15, m[s[6]], m[s[7]]);
		HASH_G(0, 5, 10, 15, m[s[8]], m[s[9]]);
		HASH_G(1, 6, 11, 12, m[s[10]], m[s[11]]);
		HASH_G(2, 7, 8, 13, m[s[12]], m[s[13]]);
		HASH_G(3, 4, 9, 14, m[s[14]], m[s[15]]);
	}
	for (int i = 0; i < 8; i++)
		h->h[i] ^= v[i] ^ v[i + 8];
}

static void hash_count(struct hash *h, size_t n)
{
	h->t[0] += n;
	if (h->t[0] < n)
		h->t[1]++;
}

void hash_init(struct hash *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->h, hash_iv, sizeof(h->h));
	h->h[0] ^= 0x01010000ull ^ HASH_BYTES;   /* depth 1, fanout 1, no key, digest length */
}

void hash_update(struct hash *h, const void *data, size_t n)
{
	const uint8_t *p = data;
	while (n > 0) {
		/* a full buffer is compressed only when more bytes follow: the
		 * last block must be compressed as the last */
		if (h->len == sizeof(h->buf)) {
			hash_count(h, h->len);
			hash_compress(h, h->buf, false);
			h->len = 0;
		}
		size_t k = MIN(n, sizeof(h->buf) - h->len);
		memcpy(h->buf + h->len, p, k);
		h->len += k;
		p += k;
		n -= k;
	}
}

void hash_final(struct hash *h, char hex[HASH_HEX])
{
	hash_count(h, h->len);
	memset(h->buf + h->len, 0, sizeof(h->buf) - h->len);
	hash_compress(h, h->buf, true);
	for (int i = 0; i < HASH_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned)(h->h[i / 8] >> (8 * (i % 8))) & 0xff);
}

bool hash_file(const char *path, char hex[HASH_HEX], char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	static uint8_t buf[1 << 16];
	struct hash h;
	hash_init(&h);
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		hash_update(&h, buf, n);
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		snprintf(err, errlen, "%s: read error", path);
		return false;
	}
	hash_final(&h, hex);
	return true;
}
