/*
 * hash.h - BLAKE2b (RFC 7693) with a 256-bit digest, for the identity of
 * a run's input and configuration (results.db: runs.input_hash and
 * runs.config_hash). The same digest as coreutils' `b2sum -l 256 FILE`,
 * so anyone can check which file a run read.
 */
#ifndef KMS_HASH_H
#define KMS_HASH_H

#include "base.h"

#define HASH_BYTES 32                  /* BLAKE2b-256 */
#define HASH_HEX   (2 * HASH_BYTES + 1)

struct hash {
	uint64_t h[8], t[2];
	uint8_t buf[128];
	size_t len;                    /* bytes in buf */
};

void hash_init(struct hash *h);
void hash_update(struct hash *h, const void *data, size_t n);
/* The digest as lower-case hex (HASH_HEX bytes with the NUL). */
void hash_final(struct hash *h, char hex[HASH_HEX]);
/* The digest of a file's bytes as they are on disk (a .xz trace: its
 * compressed bytes). False and "path: reason" in err when it cannot be read. */
bool hash_file(const char *path, char hex[HASH_HEX], char *err, size_t errlen);

#endif
