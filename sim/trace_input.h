/*
 * trace_input.h - the bytes of a trace: a plain file, standard input ("-"),
 * or the output of a child decompressor (xz, gzip, zstd, told by their
 * magic bytes); read as lines (text formats) or as raw bytes (.kmt).
 * See trace_input.c.
 */
#ifndef KMS_TRACE_INPUT_H
#define KMS_TRACE_INPUT_H

#include <sys/types.h>
#include "base.h"

#define TRACE_BUF_SIZE  (1u << 20)
#define TRACE_LINE_MAX  (64u * 1024)

struct trace_codec {
	const char   *suffix, *prog, *package;
	unsigned char magic[6], magic_len;
};


struct trace_input {
	int      fd;
	pid_t    child;        /* decompressor, 0 = none */
	const struct trace_codec *codec;
	int      stop_fd;      /* readable = stop reading (trace_input_stop_fd), -1 = none */
	int64_t  file_size;    /* bytes of a plain, uncompressed file; -1 otherwise */
	bool     eof;          /* read() returned 0 */
	bool     stopped;      /* stop_fd became readable: reading ended early */
	bool     skipping;     /* discarding the rest of an over-long line */
	bool     binary;       /* read as bytes (.kmt): odd not kept */
	char    *buf;
	size_t   start, end;   /* unread bytes are buf[start..end) */
	/* offset of the first "odd" byte (NUL, tab or CR: the fast text paths
	 * never see them) in buf[start..end), SIZE_MAX if there is none
	 * (kept as start moves) */
	size_t   odd;
	int      read_errno;
};

/* Open path ("-" = standard input) into in; a compressed file gets its
 * decompressor as a child. -1 with "PATH: reason" in err. */
int trace_input_open(struct trace_input *in, const char *path, char *err, size_t errlen);

/* Stop a read waiting for input when fd becomes readable (the reader then
 * sees the end of input, with in->stopped set). */
void trace_input_stop_fd(struct trace_input *in, int fd);

/*
 * Next line into *line and *len (without the newline); *plain is set when
 * it holds no NUL, tab or carriage return. Returns 1 for a line, 2 for a
 * line longer than TRACE_LINE_MAX (its head is returned, the rest is
 * discarded), 0 at the end, -1 on a read error (in->read_errno).
 */
int trace_input_line(struct trace_input *in, const char **line, size_t *len, bool *plain);

/* Buffer at least n bytes (fewer only at the end of input) and point *p
 * at them; returns how many are buffered, -1 on a read error. */
ssize_t trace_input_peek(struct trace_input *in, size_t n, const unsigned char **p);

/* Exactly n bytes into dst; returns the count read (< n only at the end
 * of input), -1 on a read error. */
ssize_t trace_input_read(struct trace_input *in, void *dst, size_t n);

/* Wait for the decompressor; 0 if it succeeded (or there is none). When
 * drain is set, read the rest of its output first so that it can finish
 * and tell whether the stream was intact. -1 with the reason in err. */
int trace_input_close(struct trace_input *in, bool drain, const char *path, char *err, size_t errlen);

/* The codec whose magic bytes start head, if any. */
const struct trace_codec *trace_codec_magic(const unsigned char *head, size_t n);

#endif
