/*
 * trace_kmt.h - .kmt, kmemsim's binary trace: the items of a text trace
 * (trace_text.h), parsed once by `kmemsim convert`, replayed without
 * parsing. The format is specified in trace_kmt.c.
 */
#ifndef KMS_TRACE_KMT_H
#define KMS_TRACE_KMT_H

#include <stdio.h>
#include "trace_text.h"

#define TRACE_KMT_MAGIC     "\x89KMT\r\n\x1a\n"
#define TRACE_KMT_MAGIC_LEN 8
#define TRACE_KMT_VERSION   1u
#define TRACE_KMT_HEADER    16u           /* bytes: magic, version, flags */
#define TRACE_KMT_BLOCK     (64u * 1024)  /* a writer's block payload, bytes */
#define TRACE_KMT_BLOCK_MAX (256u * 1024) /* the largest a reader takes */

/* Does head start with the .kmt magic? */
bool trace_kmt_magic(const unsigned char *head, size_t n);

struct trace_kmt_writer {
	FILE          *f;
	const char    *path;
	unsigned char *block;        /* payload being filled */
	size_t         len;
	uint32_t       count;        /* records in block */
	uint32_t       strings;      /* strings written (ids 1..strings) */
	uint64_t       items;        /* items written */
	uint64_t       prev_ns;      /* time of the last timed item */
	int            error;        /* errno of the first failed write, 0 = none */
};

/* Create path and write the header. -1 with "PATH: reason" in err. */
int trace_kmt_writer_open(struct trace_kmt_writer *w, const char *path, char *err, size_t errlen);
/* Write it (and the strings of tab it is the first to name). */
void trace_kmt_write(struct trace_kmt_writer *w, const struct trace_strtab *tab, const struct trace_item *it);
/* Write the end record (the source's counts) and close. -1 with the
 * reason in err (the file is then removed). */
int trace_kmt_writer_close(struct trace_kmt_writer *w, const struct trace_strtab *tab,
			   const struct trace_source_stats *st, char *err, size_t errlen);
/* Close and remove the file (a conversion that failed). */
void trace_kmt_writer_abort(struct trace_kmt_writer *w);

struct trace_input;

struct trace_kmt_reader {
	struct trace_input  *in;
	const char          *path;
	struct trace_strtab *tab;      /* the file's strings are added to it */
	unsigned char       *block;    /* payload of the current block */
	const unsigned char *p, *e;    /* undecoded part of it */
	uint32_t             left;     /* records of the block not yet decoded */
	uint64_t             offset;   /* file offset of the next block */
	uint64_t             items;    /* items read */
	uint64_t             prev_ns;
	bool                 ended;    /* the end record was read */
	struct trace_source_stats st;  /* from the end record */
	char                 err[512];
};

/* Read and check the header of in (the magic is already known to be
 * there). -1 with the reason in r->err: not version 1 (a newer file is
 * refused by name), or flags this version does not know. */
int trace_kmt_reader_open(struct trace_kmt_reader *r, struct trace_input *in, const char *path,
			  struct trace_strtab *tab);
/* Next item: 1, 0 after the end record, -1 when the file is truncated or
 * corrupt (r->err says where). */
int trace_kmt_next(struct trace_kmt_reader *r, struct trace_item *it);
void trace_kmt_reader_close(struct trace_kmt_reader *r);

#endif
