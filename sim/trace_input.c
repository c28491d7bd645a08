/*
 * trace_input.c - the bytes of a trace.
 *
 * A trace is read from a plain file, from standard input ("-"), or through
 * a child decompressor: xz, gzip and zstd files, told by their magic bytes
 * (and, when the first bytes are none of those, by a .xz/.gz/.zst name, so
 * that the decompressor says what is wrong), are read through `xz -dc`,
 * `gzip -dc` or `zstd -dc`. Its exit status is checked when the input is
 * closed, so a truncated file is an error, not a short replay; if it cannot
 * run, the message names the package. Standard input is not decompressed.
 *
 * Lines come out of one 1 MiB buffer without copying. So that the text
 * parsers can take a fast path on ordinary lines, the reader keeps the
 * offset of the next NUL, tab or carriage return in the unread bytes
 * (found sixteen bytes at a time, each byte looked at about once): a line
 * before it is "plain". Everything else (a NUL
 * byte, tabs as separators, CRLF line ends) takes the parsers' general path.
 *
 * When the reader runs on the parser thread (trace.c), a read waits with
 * poll() on the input and on a stop descriptor, so that stopping a replay
 * never waits for input that may not come (a terminal on standard input).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "trace_input.h"

static const struct trace_codec trace_codecs[] = {
	{ ".xz",  "xz",   "xz-utils", { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6 },
	{ ".gz",  "gzip", "gzip",     { 0x1f, 0x8b }, 2 },
	{ ".zst", "zstd", "zstd",     { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
};


const struct trace_codec *trace_codec_magic(const unsigned char *head, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(trace_codecs); i++)
		if (n >= trace_codecs[i].magic_len &&
		    memcmp(head, trace_codecs[i].magic, trace_codecs[i].magic_len) == 0)
			return &trace_codecs[i];
	return NULL;
}

/* The codec of a file: by its magic bytes, else by its name's suffix. */
static const struct trace_codec *trace_codec_find(int fd, const char *path)
{
	unsigned char head[6];
	struct stat st;
	ssize_t n = 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = pread(fd, head, sizeof(head), 0);
	const struct trace_codec *c = n > 0 ? trace_codec_magic(head, (size_t)n) : NULL;
	if (c)
		return c;
	size_t len = strlen(path);
	for (size_t i = 0; i < ARRAY_SIZE(trace_codecs); i++) {
		size_t sl = strlen(trace_codecs[i].suffix);
		if (len > sl && strcmp(path + len - sl, trace_codecs[i].suffix) == 0)
			return &trace_codecs[i];
	}
	return NULL;
}

int trace_input_open(struct trace_input *in, const char *path, char *err, size_t errlen)
{
	memset(in, 0, sizeof(*in));
	in->fd = -1;
	in->stop_fd = -1;
	in->file_size = -1;
	in->odd = SIZE_MAX;
	int fd;
	if (strcmp(path, "-") == 0) {
		fd = dup(0);
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	const struct trace_codec *codec = strcmp(path, "-") != 0 ? trace_codec_find(fd, path) : NULL;
	if (codec) {
		int pfd[2];
		if (pipe2(pfd, O_CLOEXEC) != 0) {
			snprintf(err, errlen, "%s: %s: pipe: %s", path, codec->prog, strerror(errno));
			close(fd);
			return -1;
		}
		fflush(stderr);
		pid_t pid = fork();
		if (pid < 0) {
			snprintf(err, errlen, "%s: %s: fork: %s", path, codec->prog, strerror(errno));
			close(fd), close(pfd[0]), close(pfd[1]);
			return -1;
		}
		if (pid == 0) {
			/* child: file on stdin, pipe on stdout (dup2 clears CLOEXEC) */
			if (dup2(fd, 0) < 0 || dup2(pfd[1], 1) < 0)
				_exit(127);
			signal(SIGPIPE, SIG_DFL);
			/* a Ctrl-C stops kmemsim, which then closes the pipe:
			 * the decompressor ends by SIGPIPE, never first with a truncated stream */
			signal(SIGINT, SIG_IGN);
			signal(SIGTERM, SIG_IGN);
			execlp(codec->prog, codec->prog, "-dc", (char *)NULL);
			_exit(127);
		}
		close(fd);
		close(pfd[1]);
		fd = pfd[0];
		in->child = pid;
		in->codec = codec;
	}
	struct stat st;
	if (!codec && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		in->file_size = st.st_size;
	in->fd = fd;
	in->buf = xmalloc(TRACE_BUF_SIZE);
	return 0;
}

void trace_input_stop_fd(struct trace_input *in, int fd)
{
	in->stop_fd = fd;
}

int trace_input_close(struct trace_input *in, bool drain, const char *path, char *err, size_t errlen)
{
	int rc = 0;
	if (in->child && drain && !in->eof) {
		for (;;) {
			ssize_t n = read(in->fd, in->buf, TRACE_BUF_SIZE);
			if (n > 0 || (n < 0 && errno == EINTR))
				continue;
			if (n == 0)
				in->eof = true;
			break;
		}
	}
	if (in->fd >= 0)
		close(in->fd);
	in->fd = -1;
	if (in->child) {
		const struct trace_codec *c = in->codec;
		int status = 0;
		while (waitpid(in->child, &status, 0) < 0 && errno == EINTR)
			;
		in->child = 0;
		if ((in->eof && !in->stopped) || drain) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
				snprintf(err, errlen, "%s: %s: cannot run `%s -dc` (install %s)",
					 path, c->prog, c->prog, c->package);
				rc = -1;
			} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
				snprintf(err, errlen, "%s: %s: exit status %d (truncated or corrupt %s file)",
					 path, c->prog, WEXITSTATUS(status), c->suffix);
				rc = -1;
			} else if (WIFSIGNALED(status)) {
				snprintf(err, errlen, "%s: %s: killed by signal %d", path, c->prog, WTERMSIG(status));
				rc = -1;
			}
		}
	}
	free(in->buf);
	in->buf = NULL;
	return rc;
}

/* ---- where the odd bytes are ---- */

/* The first NUL, tab or CR in buf[from..end), SIZE_MAX if none: one pass,
 * sixteen bytes at a time where SSE2 is (every x86-64). */
static size_t odd_find(const struct trace_input *in, size_t from)
{
	const char *p = in->buf + from, *e = in->buf + in->end;
#ifdef __SSE2__
	const __m128i nul = _mm_setzero_si128(), tab = _mm_set1_epi8('\t'), cr = _mm_set1_epi8('\r');
	for (; e - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, nul), _mm_cmpeq_epi8(v, tab)),
					   _mm_cmpeq_epi8(v, cr));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);
		if (m)
			return (size_t)(p - in->buf) + (size_t)__builtin_ctz(m);
	}
#endif
	for (; p < e; p++)
		if (*p == '\0' || *p == '\t' || *p == '\r')
			return (size_t)(p - in->buf);
	return SIZE_MAX;
}

/* start moved forward: an odd byte before it is behind us */
static inline void odd_advance(struct trace_input *in)
{
	if (__builtin_expect(in->odd < in->start, 0))
		in->odd = odd_find(in, in->start);
}

/* bytes [old_end, end) were appended */
static void odd_append(struct trace_input *in, size_t old_end)
{
	if (in->odd == SIZE_MAX)
		in->odd = odd_find(in, old_end);
}

static void odd_reset(struct trace_input *in)
{
	in->odd = SIZE_MAX;
}

/* No odd byte in buf[start..b)? */
static inline bool odd_none_before(const struct trace_input *in, size_t b)
{
	return in->odd >= b;
}

/* ---- reading ---- */

/* Wait until the input or the stop descriptor is readable: true to stop. */
static bool input_wait(struct trace_input *in)
{
	if (in->stop_fd < 0)
		return false;
	struct pollfd pfd[2] = { { in->fd, POLLIN, 0 }, { in->stop_fd, POLLIN, 0 } };
	for (;;) {
		int n = poll(pfd, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		/* poll failing is left to read() to report */
		return n > 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR));
	}
}

/* Move the unread bytes to the front and read more after them. Returns the
 * count read, 0 at the end of input (or when stopped), -1 on an error. */
static ssize_t input_fill(struct trace_input *in)
{
	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		if (!in->binary && in->odd != SIZE_MAX)
			in->odd -= in->start;
		in->end -= in->start;
		in->start = 0;
	}
	for (;;) {
		if (input_wait(in)) {
			in->stopped = in->eof = true;
			return 0;
		}
		ssize_t n = read(in->fd, in->buf + in->end, TRACE_BUF_SIZE - in->end);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			in->read_errno = errno;
			return -1;
		}
		if (n == 0)
			in->eof = true;
		size_t old_end = in->end;
		in->end += (size_t)n;
		if (!in->binary)
			odd_append(in, old_end);
		return n;
	}
}

int trace_input_line(struct trace_input *in, const char **line, size_t *len, bool *plain)
{
	for (;;) {
		if (in->stopped)   /* not even the line cut short by the stop */
			return 0;
		char *nl = in->end > in->start ? memchr(in->buf + in->start, '\n', in->end - in->start) : NULL;
		if (in->skipping) {
			if (nl) {
				in->start = (size_t)(nl - in->buf) + 1;
				in->skipping = false;
				odd_advance(in);
				continue;
			}
			in->start = in->end = 0;
			odd_reset(in);
		} else if (nl) {
			size_t b = (size_t)(nl - in->buf);
			*line = in->buf + in->start;
			*len = b - in->start;
			*plain = odd_none_before(in, b);
			in->start = b + 1;
			odd_advance(in);
			if (*len > TRACE_LINE_MAX) {
				*len = TRACE_LINE_MAX;
				*plain = false;
				return 2;
			}
			return 1;
		} else if (in->end - in->start > TRACE_LINE_MAX) {
			*line = in->buf + in->start;
			*len = TRACE_LINE_MAX;
			*plain = false;
			in->start = in->end = 0;
			odd_reset(in);
			in->skipping = true;
			return 2;
		} else if (in->eof) {
			if (in->end == in->start)
				return 0;
			*line = in->buf + in->start;
			*len = in->end - in->start;
			*plain = odd_none_before(in, in->end);
			in->start = in->end;
			odd_reset(in);
			return 1;
		}
		if (in->eof)
			return 0;
		if (input_fill(in) < 0)
			return -1;
	}
}

ssize_t trace_input_peek(struct trace_input *in, size_t n, const unsigned char **p)
{
	if (n > TRACE_BUF_SIZE)
		n = TRACE_BUF_SIZE;
	while (in->end - in->start < n && !in->eof)
		if (input_fill(in) < 0)
			return -1;
	*p = (const unsigned char *)in->buf + in->start;
	return (ssize_t)(in->end - in->start);
}

ssize_t trace_input_read(struct trace_input *in, void *dst, size_t n)
{
	size_t got = 0;
	while (got < n) {
		if (in->start == in->end) {
			if (in->eof)
				break;
			if (input_fill(in) < 0)
				return -1;
			continue;
		}
		size_t k = MIN(n - got, in->end - in->start);
		memcpy((char *)dst + got, in->buf + in->start, k);
		in->start += k;
		got += k;
	}
	return (ssize_t)got;
}
