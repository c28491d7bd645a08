/*
 * trace_kmt.c - .kmt, kmemsim's binary trace format, version 1.
 *
 * A .kmt file holds the items of a trace (trace_text.h: one per kmem
 * record, as the text said it, before the replay's rules) so that a trace
 * parsed once by `kmemsim convert IN OUT.kmt` replays without parsing.
 * `--trace FILE` recognises it by its magic bytes, not by its name, also
 * on standard input and inside xz, gzip or zstd. What the replay decides
 * (times relative to the first event, caches, the traced kernel's own
 * allocations of trace.c rule 4, --replay-own-slab, --no-page-events) is
 * decided again at every replay from the same items, so a .kmt replays to
 * the same summary as its text in every mode.
 *
 * 1. Layout. Integers are little-endian; a varint is LEB128 (7 bits per
 *    byte, low first, at most 10 bytes); a zvarint is the varint of a
 *    64-bit signed value zigzag-coded ((v << 1) ^ (v >> 63)).
 *
 *      file    = header block* end-block
 *      header  = magic "\x89KMT\r\n\x1a\n" (8 bytes), version u32 (1),
 *                flags u32 (0)
 *      block   = length u32, count u32, check u64, payload[length]
 *                length: payload bytes, 1..256 KiB; count: records in it;
 *                check: h = 0xcbf29ce484222325, then for each 8 bytes of
 *                the payload as a u64 w (the last ones zero-padded):
 *                h = (h ^ w) * 0x100000001b3; h ^= h >> 32
 *      payload = record*
 *      record  = tag u8, then the fields of its kind (tag & 15); the high
 *                bits are flags: 0x10 bytes_alloc present, 0x20 call_site
 *                is SLUB's own, 0x40 name=kmem_cache_node, 0x80 the TIME
 *                record of a page event / migratetype present (PAGE_ALLOC)
 *
 *      kind             fields after dt and cpu (timed kinds, 0-4 and 7)
 *      0 KMALLOC        key, bytes_req, [bytes_alloc], gfp
 *      1 CACHE_ALLOC    key, bytes_req, [bytes_alloc], gfp, name
 *      2 FREE           key
 *      3 PAGE_ALLOC     key (pfn or page), order, gfp, [migratetype zvarint]
 *      4 PAGE_FREE      key, order
 *      5 MT_ALLOC       key, size               (mtrace: no dt, no cpu)
 *      6 MT_FREE        key
 *      7 TIME           -  (a malformed line's time, counted by --lenient)
 *      14 STR           length, bytes: the next string (ids 1, 2, ...)
 *      15 END           items, strings, lines, other, malformed,
 *                       recognised, first_bad (varints), source format
 *                       (u8: 1 ftrace, 2 trace-cmd, 3 perf-script,
 *                       4 mtrace), length and bytes of the first
 *                       malformed line's reason
 *
 *    Every field is a varint unless said otherwise. dt is a zvarint: the
 *    timed record's ns minus the previous timed record's (mod 2^64; the
 *    first from 0). gfp and name are string ids, 0 = not printed; a STR
 *    record comes before the first record that names it. gfp is the
 *    gfp_flags text itself, so the replay reads from it what its version
 *    reads (zone bits, rule 4's signature). The end record is alone in
 *    the last block, and nothing follows it.
 *
 * 2. What makes a file an error (exit 2, "FILE: ..."): another magic or
 *    nonzero flags; a version above 1 (refused by name: convert again with
 *    the newer kmemsim); a block header or payload cut short, or no end
 *    record (truncated); a check mismatch, a record running past its
 *    block, an unknown kind, an undefined string id, a count or total that
 *    disagrees, bytes after the end, or a value outside what the text
 *    reader accepts (CPU above 65535, order above 31, sizes above
 *    2^32-1) (corrupt). Records before the damage are
 *    replayed, as with a truncated .xz; the run is then marked failed.
 *
 * 3. Versions. A reader reads its own version and refuses higher ones. Any
 *    change to the records, their fields or their meaning (a new kind, a
 *    new flag, SLUB's own sites of rule 4 read differently) is a new
 *    version; the writer writes only the current one.
 *
 * Size: 10 bytes per record on tests/data/gcc-small (172 bytes of text per
 * line there).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "trace_input.h"
#include "trace_kmt.h"

enum {
	KMT_STR = 14, KMT_END = 15,
	KMT_F_ALLOC = 0x10, KMT_F_OWN_SITE = 0x20, KMT_F_OWN_CACHE = 0x40, KMT_F_X = 0x80,
	KMT_RECORD_MAX = 64,   /* bytes of any record but STR and END */
};

bool trace_kmt_magic(const unsigned char *head, size_t n)
{
	return n >= TRACE_KMT_MAGIC_LEN && memcmp(head, TRACE_KMT_MAGIC, TRACE_KMT_MAGIC_LEN) == 0;
}

/* Up to 8 bytes as a little-endian u64, the rest zero. */
static inline uint64_t get_le64(const unsigned char *p, size_t n)
{
	uint64_t w = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(&w, p, n);
#else
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
#endif
	return w;
}

static uint64_t kmt_check(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; n; ) {
		size_t k = MIN(n, 8);
		h = (h ^ get_le64(p, k)) * 0x100000001b3ull;
		h ^= h >> 32;
		p += k;
		n -= k;
	}
	return h;
}

static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- writing ---- */

static inline unsigned char *put_varint(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

static inline uint64_t zigzag(uint64_t v)
{
	return v << 1 ^ (uint64_t)-(int64_t)(v >> 63);
}

static void kmt_out(struct trace_kmt_writer *w, const void *p, size_t n)
{
	if (!w->error && fwrite(p, 1, n, w->f) != n)
		w->error = errno ? errno : EIO;
}

static void kmt_block_flush(struct trace_kmt_writer *w)
{
	if (!w->len)
		return;
	unsigned char hdr[16];
	put_u32(hdr, (uint32_t)w->len);
	put_u32(hdr + 4, w->count);
	uint64_t c = kmt_check(w->block, w->len);
	put_u32(hdr + 8, (uint32_t)c);
	put_u32(hdr + 12, (uint32_t)(c >> 32));
	kmt_out(w, hdr, sizeof(hdr));
	kmt_out(w, w->block, w->len);
	w->len = 0;
	w->count = 0;
}

/* Room for n more bytes in the block. */
static unsigned char *kmt_room(struct trace_kmt_writer *w, size_t n)
{
	if (w->len + n > TRACE_KMT_BLOCK && w->len)
		kmt_block_flush(w);
	w->count++;
	return w->block + w->len;
}

int trace_kmt_writer_open(struct trace_kmt_writer *w, const char *path, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->path = path;
	w->f = fopen(path, "wb");
	if (!w->f) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	w->block = xmalloc(TRACE_KMT_BLOCK_MAX);
	unsigned char hdr[TRACE_KMT_HEADER];
	memcpy(hdr, TRACE_KMT_MAGIC, TRACE_KMT_MAGIC_LEN);
	put_u32(hdr + 8, TRACE_KMT_VERSION);
	put_u32(hdr + 12, 0);
	kmt_out(w, hdr, sizeof(hdr));
	return 0;
}

static void kmt_write_strings(struct trace_kmt_writer *w, const struct trace_strtab *tab)
{
	while (w->strings < tab->count) {
		size_t n;
		const char *s = trace_strtab_get(tab, ++w->strings, &n);
		unsigned char *p = kmt_room(w, 11 + n), *q = p;
		*q++ = KMT_STR;
		q = put_varint(q, n);
		memcpy(q, s, n);
		w->len += (size_t)(q + n - p);
	}
}

void trace_kmt_write(struct trace_kmt_writer *w, const struct trace_strtab *tab, const struct trace_item *it)
{
	if (w->strings < tab->count)
		kmt_write_strings(w, tab);
	unsigned char *p = kmt_room(w, KMT_RECORD_MAX), *q = p + 1;
	unsigned tag = it->kind;
	if (it->flags & TI_HAS_ALLOC)
		tag |= KMT_F_ALLOC;
	if (it->flags & TI_OWN_SITE)
		tag |= KMT_F_OWN_SITE;
	if (it->flags & TI_OWN_CACHE)
		tag |= KMT_F_OWN_CACHE;
	if ((it->kind == TI_TIME && (it->flags & TI_PAGE)) ||
	    (it->kind == TI_PAGE_ALLOC && (it->flags & TI_MIGRATETYPE)))
		tag |= KMT_F_X;
	*p = (unsigned char)tag;
	if (it->kind != TI_MT_ALLOC && it->kind != TI_MT_FREE) {
		q = put_varint(q, zigzag(it->ns - w->prev_ns));
		q = put_varint(q, it->cpu);
		w->prev_ns = it->ns;
	}
	switch (it->kind) {
	case TI_KMALLOC:
	case TI_CACHE_ALLOC:
		q = put_varint(q, it->key);
		q = put_varint(q, it->size);
		if (tag & KMT_F_ALLOC)
			q = put_varint(q, it->alloc);
		q = put_varint(q, it->gfp);
		if (it->kind == TI_CACHE_ALLOC)
			q = put_varint(q, it->name);
		break;
	case TI_PAGE_ALLOC:
		q = put_varint(q, it->key);
		q = put_varint(q, it->size);
		q = put_varint(q, it->gfp);
		if (tag & KMT_F_X)
			q = put_varint(q, zigzag((uint64_t)(int64_t)it->migratetype));
		break;
	case TI_PAGE_FREE:
	case TI_MT_ALLOC:
		q = put_varint(q, it->key);
		q = put_varint(q, it->size);
		break;
	case TI_FREE:
	case TI_MT_FREE:
		q = put_varint(q, it->key);
		break;
	default:   /* TI_TIME */
		break;
	}
	w->len += (size_t)(q - p);
	w->items++;
}

void trace_kmt_writer_abort(struct trace_kmt_writer *w)
{
	if (w->f) {
		fclose(w->f);
		unlink(w->path);
	}
	w->f = NULL;
	free(w->block);
	w->block = NULL;
}

int trace_kmt_writer_close(struct trace_kmt_writer *w, const struct trace_strtab *tab,
			   const struct trace_source_stats *st, char *err, size_t errlen)
{
	kmt_write_strings(w, tab);
	kmt_block_flush(w);
	unsigned char *p = kmt_room(w, 80 + TRACE_WHY_MAX), *q = p;
	*q++ = KMT_END;
	q = put_varint(q, w->items);
	q = put_varint(q, w->strings);
	q = put_varint(q, st->lines);
	q = put_varint(q, st->other);
	q = put_varint(q, st->malformed);
	q = put_varint(q, st->recognised);
	q = put_varint(q, st->first_bad);
	*q++ = (unsigned char)st->fmt;
	size_t wl = strnlen(st->first_why, sizeof(st->first_why));
	q = put_varint(q, wl);
	memcpy(q, st->first_why, wl);
	w->len += (size_t)(q + wl - p);
	kmt_block_flush(w);
	if (!w->error && fflush(w->f) != 0)
		w->error = errno ? errno : EIO;
	if (!w->error && fsync(fileno(w->f)) != 0 && errno != EINVAL && errno != EROFS)
		w->error = errno;
	if (fclose(w->f) != 0 && !w->error)
		w->error = errno ? errno : EIO;
	w->f = NULL;
	free(w->block);
	w->block = NULL;
	if (w->error) {
		snprintf(err, errlen, "%s: write error: %s", w->path, strerror(w->error));
		unlink(w->path);
		return -1;
	}
	return 0;
}

/* ---- reading ---- */

static int kmt_fail(struct trace_kmt_reader *r, const char *why)
{
	snprintf(r->err, sizeof(r->err), "%s: corrupt .kmt file: %s (block at byte %llu)", r->path, why,
		 (unsigned long long)r->offset);
	return -1;
}

int trace_kmt_reader_open(struct trace_kmt_reader *r, struct trace_input *in, const char *path,
			  struct trace_strtab *tab)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	r->path = path;
	r->tab = tab;
	in->binary = true;
	unsigned char hdr[TRACE_KMT_HEADER];
	ssize_t n = trace_input_read(in, hdr, sizeof(hdr));
	if (n < 0) {
		snprintf(r->err, sizeof(r->err), "%s: read error: %s", path, strerror(in->read_errno));
		return -1;
	}
	if ((size_t)n < sizeof(hdr) || !trace_kmt_magic(hdr, (size_t)n)) {
		snprintf(r->err, sizeof(r->err), "%s: truncated .kmt file (header of %zd bytes)", path, n);
		return -1;
	}
	uint32_t version = get_u32(hdr + 8), flags = get_u32(hdr + 12);
	if (version > TRACE_KMT_VERSION) {
		snprintf(r->err, sizeof(r->err), "%s: .kmt version %u is newer than this kmemsim reads "
			 "(version %u): convert the trace with the kmemsim that wrote it, or a newer one",
			 path, version, TRACE_KMT_VERSION);
		return -1;
	}
	if (version != TRACE_KMT_VERSION || flags != 0) {
		snprintf(r->err, sizeof(r->err), "%s: corrupt .kmt file: version %u, flags %#x", path, version, flags);
		return -1;
	}
	r->offset = TRACE_KMT_HEADER;
	r->block = xmalloc(TRACE_KMT_BLOCK_MAX);
	return 0;
}

void trace_kmt_reader_close(struct trace_kmt_reader *r)
{
	free(r->block);
	r->block = NULL;
}

/* Read the next block; 0 at a clean end of input (an error: no end record). */
static int kmt_block_read(struct trace_kmt_reader *r)
{
	unsigned char hdr[16];
	ssize_t n = trace_input_read(r->in, hdr, sizeof(hdr));
	if (n < 0) {
		snprintf(r->err, sizeof(r->err), "%s: read error: %s", r->path, strerror(r->in->read_errno));
		return -1;
	}
	if (r->in->stopped)
		return 0;
	if ((size_t)n < sizeof(hdr)) {
		snprintf(r->err, sizeof(r->err), "%s: truncated .kmt file: %s after %llu items",
			 r->path, n ? "a block header cut short" : "no end record", (unsigned long long)r->items);
		return -1;
	}
	uint32_t len = get_u32(hdr), count = get_u32(hdr + 4);
	uint64_t check = get_u32(hdr + 8) | (uint64_t)get_u32(hdr + 12) << 32;
	if (len == 0 || len > TRACE_KMT_BLOCK_MAX || count == 0 || count > len)
		return kmt_fail(r, "bad block length");
	n = trace_input_read(r->in, r->block, len);
	if (n < 0) {
		snprintf(r->err, sizeof(r->err), "%s: read error: %s", r->path, strerror(r->in->read_errno));
		return -1;
	}
	if (r->in->stopped)
		return 0;
	if ((size_t)n < len) {
		snprintf(r->err, sizeof(r->err), "%s: truncated .kmt file: a block of %u bytes has %zd, after %llu items",
			 r->path, len, n, (unsigned long long)r->items);
		return -1;
	}
	if (kmt_check(r->block, len) != check)
		return kmt_fail(r, "check mismatch");
	r->p = r->block;
	r->e = r->block + len;
	r->left = count;
	r->offset += sizeof(hdr) + len;
	return 1;
}

/* A varint of at most 64 bits within [r->p, r->e); false if it is not. */
static inline bool get_varint(struct trace_kmt_reader *r, uint64_t *out)
{
	const unsigned char *p = r->p;
	uint64_t v = 0;
	for (unsigned shift = 0; p < r->e && shift < 64; shift += 7) {
		unsigned char b = *p++;
		if (shift == 63 && b > 1)
			return false;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (b < 0x80) {
			r->p = p;
			*out = v;
			return true;
		}
	}
	return false;
}

static inline bool get_u32v(struct trace_kmt_reader *r, uint32_t *out)
{
	uint64_t v;
	if (!get_varint(r, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static inline bool get_str_id(struct trace_kmt_reader *r, uint32_t *out)
{
	return get_u32v(r, out) && *out <= r->tab->count;
}

/* The end record: the source's counts; nothing may follow it. */
static int kmt_end(struct trace_kmt_reader *r)
{
	uint64_t items, strings, len;
	struct trace_source_stats *st = &r->st;
	if (!get_varint(r, &items) || !get_varint(r, &strings) || !get_varint(r, &st->lines) ||
	    !get_varint(r, &st->other) || !get_varint(r, &st->malformed) || !get_varint(r, &st->recognised) ||
	    !get_varint(r, &st->first_bad) || r->p >= r->e)
		return kmt_fail(r, "end record cut short");
	unsigned fmt = *r->p++;
	if (fmt == FMT_UNKNOWN || fmt >= FMT_NFORMATS || !get_varint(r, &len) || len >= sizeof(st->first_why) ||
	    (uint64_t)(r->e - r->p) != len || r->left != 1)
		return kmt_fail(r, "bad end record");
	st->fmt = (enum trace_fmt)fmt;
	memcpy(st->first_why, r->p, len);
	st->first_why[len] = '\0';
	r->p = r->e;
	r->left = 0;
	if (items != r->items || strings != r->tab->count)
		return kmt_fail(r, "the end record's totals disagree with the file");
	unsigned char extra;
	ssize_t n = trace_input_read(r->in, &extra, 1);
	if (n != 0)
		return kmt_fail(r, "bytes after the end record");
	r->ended = true;
	return 0;
}

int trace_kmt_next(struct trace_kmt_reader *r, struct trace_item *it)
{
	for (;;) {
		if (r->ended)
			return 0;
		if (!r->left) {
			if (r->p != r->e)
				return kmt_fail(r, "bytes after the block's last record");
			int rc = kmt_block_read(r);
			if (rc <= 0)
				return rc;
		}
		if (r->p >= r->e)
			return kmt_fail(r, "fewer records than counted");
		unsigned tag = *r->p++, kind = tag & 15;
		if (kind == KMT_STR) {
			uint64_t n;
			if (!get_varint(r, &n) || n > (uint64_t)(r->e - r->p))
				return kmt_fail(r, "string cut short");
			trace_strtab_add(r->tab, (const char *)r->p, (size_t)n);
			r->p += n;
			r->left--;
			continue;
		}
		if (kind == KMT_END)
			return kmt_end(r);
		if (kind >= TI_NKINDS)
			return kmt_fail(r, "unknown record kind");
		it->kind = (uint8_t)kind;
		it->flags = 0;
		it->ns = 0;
		it->cpu = 0;
		it->key = 0;
		it->size = it->alloc = it->gfp = it->name = 0;
		it->migratetype = 0;
		if (tag & KMT_F_ALLOC)
			it->flags |= TI_HAS_ALLOC;
		if (tag & KMT_F_OWN_SITE)
			it->flags |= TI_OWN_SITE;
		if (tag & KMT_F_OWN_CACHE)
			it->flags |= TI_OWN_CACHE;
		bool ok = true;
		if (kind != TI_MT_ALLOC && kind != TI_MT_FREE) {
			uint64_t dt = 0, cpu = 0;
			ok = get_varint(r, &dt) && get_varint(r, &cpu) && cpu <= UINT16_MAX;
			/* undo the zigzag: an exact difference mod 2^64 */
			r->prev_ns += (dt >> 1) ^ (uint64_t)-(int64_t)(dt & 1);
			it->ns = r->prev_ns;
			it->cpu = (uint16_t)cpu;
		}
		switch (kind) {
		case TI_KMALLOC:
		case TI_CACHE_ALLOC:
			ok = ok && get_varint(r, &it->key) && get_u32v(r, &it->size) &&
			     (!(tag & KMT_F_ALLOC) || get_u32v(r, &it->alloc)) && get_str_id(r, &it->gfp) &&
			     (kind == TI_KMALLOC || get_str_id(r, &it->name));
			break;
		case TI_PAGE_ALLOC: {
			uint64_t mt = 0;
			ok = ok && get_varint(r, &it->key) && get_u32v(r, &it->size) && get_str_id(r, &it->gfp) &&
			     (!(tag & KMT_F_X) || get_varint(r, &mt));
			int64_t m = (int64_t)((mt >> 1) ^ (uint64_t)-(int64_t)(mt & 1));
			ok = ok && m >= INT32_MIN && m <= INT32_MAX;
			if (tag & KMT_F_X) {
				it->flags |= TI_MIGRATETYPE;
				it->migratetype = (int32_t)m;
			}
			break;
		}
		case TI_PAGE_FREE:
		case TI_MT_ALLOC:
			ok = ok && get_varint(r, &it->key) && get_u32v(r, &it->size);
			break;
		case TI_FREE:
		case TI_MT_FREE:
			ok = ok && get_varint(r, &it->key);
			break;
		default:   /* TI_TIME */
			if (tag & KMT_F_X)
				it->flags |= TI_PAGE;
			break;
		}
		if (!ok)
			return kmt_fail(r, "record cut short or out of range");
		if ((kind == TI_PAGE_ALLOC || kind == TI_PAGE_FREE) && it->size > 31)
			return kmt_fail(r, "page order out of range");
		r->left--;
		r->items++;
		return 1;
	}
}
