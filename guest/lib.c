/*
 * lib.c - memory/string routines, number parsing, keyword matching and a
 * compact vsnprintf.
 *
 * vsnprintf understands what the guest prints: %d %i %u %x %X %o %c %s %p %%
 * with the flags '-' '0', a width, a precision for %s (also '*'), and the
 * length modifiers hh h l ll z. It always NUL-terminates and returns the
 * length it would have written, like C99.
 */
#include "lib.h"

#include "hex_digit.h"

/* One string instruction each (ERMS makes them fast on current CPUs, and
 * the few that run at CPL 0, emulated on a software KVM, cost one
 * emulation each rather than one per loop iteration). */
void *memset(void *d, int c, size_t n)
{
	void *p = d;
	__asm__ volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(c) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *p = d;
	__asm__ volatile("rep movsb" : "+D"(p), "+S"(s), "+c"(n) : : "memory");
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	if (dp < sp) {
		while (n--)
			*dp++ = *sp++;
	} else {
		while (n--)
			dp[n] = sp[n];
	}
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

/* First `c` in s[0..n), or NULL: one REPNE SCASB. */
static const char *scan_byte(const char *s, int c, size_t n)
{
	if (!n)
		return NULL;
	const char *p = s;
	__asm__ volatile("repne scasb" : "+D"(p), "+c"(n) : "a"(c) : "memory", "cc");
	return p[-1] == (char)c ? p - 1 : NULL;
}

size_t strlen(const char *s)
{
	return (size_t)(scan_byte(s, 0, SIZE_MAX) - s);
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

const char *strchr(const char *s, int c)
{
	for (; *s; s++)
		if (*s == (char)c)
			return s;
	return c ? NULL : s;
}

bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = hex_digit(s[i]);
		if (d < 0 || d >= (int)base)
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return true;
}

bool parse_u64_in(const char *what, const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	if (parse_u64(s, len, out) && *out >= min && *out <= max)
		return true;
	printf("error: %s: '%.*s' is not a number from %lu to %lu\n", what, (int)len, s, min, max);
	return false;
}

const char *word_at(struct words w, size_t i)
{
	return *(const char *const *)((const char *)w.first + i * w.stride);
}

int word_find(const char *val, size_t len, struct words w)
{
	for (size_t i = 0; i < w.n; i++)
		if (strlen(word_at(w, i)) == len && !memcmp(val, word_at(w, i), len))
			return (int)i;
	return -1;
}

/* --- vsnprintf ----------------------------------------------------------- */

struct outbuf {
	char *buf;
	size_t size, len;
};

static void out_char(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* A run of literal bytes, copied at once. */
static void out_span(struct outbuf *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - 1 - o->len;
		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

/* n copies of c, at once. */
static void out_pad(struct outbuf *o, char c, int n)
{
	if (n <= 0)
		return;
	if (o->len < o->size) {
		size_t room = o->size - 1 - o->len;
		memset(o->buf + o->len, c, (size_t)n < room ? (size_t)n : room);
	}
	o->len += (size_t)n;
}

/* Digits are made right to left in a small buffer, then copied in one go:
 * a store per digit and one string copy, not a call per character. */
static void out_number(struct outbuf *o, uint64_t v, unsigned base, bool upper, bool neg, int width,
		       bool zero, bool left)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	char *p = tmp + sizeof(tmp);

	/* Constant divisors and shifts: no DIV instruction per digit. */
	do {
		if (base == 16) {
			*--p = digits[v & 15];
			v >>= 4;
		} else if (base == 10) {
			*--p = digits[v % 10];
			v /= 10;
		} else {
			*--p = digits[v & 7];
			v >>= 3;
		}
	} while (v);
	if (neg)
		*--p = '-';
	int n = (int)(tmp + sizeof(tmp) - p);
	if (!left && !zero)
		out_pad(o, ' ', width - n);
	if (neg && zero && !left) {
		out_span(o, p++, 1); /* the sign goes before zero padding */
		n--;
		width--;
	}
	if (!left && zero)
		out_pad(o, '0', width - n);
	out_span(o, p, (size_t)n);
	if (left)
		out_pad(o, ' ', width - n);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct outbuf o = { buf, size, 0 };
	const char *fmt_end = fmt + strlen(fmt); /* measured once: each scan costs */

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			size_t rest = (size_t)(fmt_end - fmt);
			const char *pct = scan_byte(fmt, '%', rest);
			size_t n = pct ? (size_t)(pct - fmt) : rest;
			out_span(&o, fmt, n);
			fmt += n - 1;
			continue;
		}
		bool left = false, zero = false;
		int width = 0, prec = -1, lng = 0;

		for (fmt++; *fmt == '-' || *fmt == '0'; fmt++)
			*fmt == '-' ? (left = true) : (zero = true);
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		if (*fmt == '.') {
			prec = 0;
			if (*++fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			for (; *fmt >= '0' && *fmt <= '9'; fmt++)
				prec = prec * 10 + (*fmt - '0');
		}
		for (; *fmt == 'l' || *fmt == 'h' || *fmt == 'z'; fmt++)
			lng += (*fmt == 'h') ? -1 : 1;

		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = lng > 0 ? va_arg(ap, int64_t) : va_arg(ap, int);
			uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
			out_number(&o, mag, 10, false, v < 0, width, zero, left);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			uint64_t v = lng > 0 ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			if (lng == -1)
				v = (uint16_t)v;
			else if (lng <= -2)
				v = (uint8_t)v;
			unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
			out_number(&o, v, base, *fmt == 'X', false, width, zero, left);
			break;
		}
		case 'p':
			out_span(&o, "0x", 2);
			out_number(&o, (uintptr_t)va_arg(ap, void *), 16, false, false, width, zero, left);
			break;
		case 'c':
			out_char(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			size_t full = strlen(s);
			int n = prec >= 0 && (size_t)prec < full ? prec : (int)full;
			if (!left)
				out_pad(&o, ' ', width - n);
			out_span(&o, s, (size_t)n);
			if (left)
				out_pad(&o, ' ', width - n);
			break;
		}
		case '%':
			out_char(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			out_char(&o, '%');
			out_char(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
