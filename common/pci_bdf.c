/*
 * pci_bdf.c - [DDDD:]BB:DD.F to numbers and back (pci_bdf.h).
 *
 * The parser reads runs of hex digits and looks at what ends each: two
 * runs ended by ':' then one by '.' is domain:bus:device, one ':' then '.'
 * is bus:device; the function is the single digit after the '.'. Every
 * read is checked against len, and a run longer than its field allows is
 * refused rather than cut, so "000:01.0" is not read as "00:01.0", nor
 * "00:001.0" as "00:01.0".
 * Compiles freestanding and calls nothing outside this file.
 */
#include "pci_bdf.h"

#include <stdbool.h>

#include "hex_digit.h"
#include "pci_access.h"

/* The run of hex digits at s[*at]: how many there are (0: none), with *at
 * moved past them and *v their value (kept only while it fits: a run that
 * long is refused by every caller anyway). */
static size_t hex_run(const char *s, size_t len, size_t *at, unsigned *v)
{
	size_t n = 0;

	*v = 0;
	for (; *at < len && hex_digit(s[*at]) >= 0; ++*at, n++)
		if (n < 4)
			*v = *v * 16 + (unsigned)hex_digit(s[*at]);
	return n;
}

/* Moves past c if it is next. */
static bool take(const char *s, size_t len, size_t *at, char c)
{
	if (*at >= len || s[*at] != c)
		return false;
	++*at;
	return true;
}

size_t pci_bdf_parse(const char *s, size_t len, uint16_t *domain, uint16_t *bdf)
{
	size_t at = 0, w1, w2, bus_w, dev_w;
	unsigned v1, v2, dom = 0, bus, dev;

	/* The first run is the bus, or the domain if a second ':' follows. */
	w1 = hex_run(s, len, &at, &v1);
	if (w1 == 0 || w1 > 4 || !take(s, len, &at, ':'))
		return 0;
	w2 = hex_run(s, len, &at, &v2);
	if (w2 && take(s, len, &at, ':')) { /* DDDD:BB: then the device */
		dom = v1;
		bus = v2, bus_w = w2;
		dev_w = hex_run(s, len, &at, &dev);
	} else { /* BB:DD */
		bus = v1, bus_w = w1;
		dev = v2, dev_w = w2;
	}
	if (bus_w > 2 || dev_w == 0 || dev_w > 2 || dev > 0x1f || !take(s, len, &at, '.') || at >= len ||
	    s[at] < '0' || s[at] > '7')
		return 0;
	*domain = (uint16_t)dom;
	*bdf = PCI_BDF(bus, dev, (unsigned)(s[at] - '0'));
	return at + 1;
}

/* digits hex digits of v at p, most significant first; returns their end. */
static char *hex_put(char *p, unsigned v, unsigned digits)
{
	while (digits--)
		*p++ = "0123456789abcdef"[v >> (4 * digits) & 0xf];
	return p;
}

void pci_bdf_format(char out[PCI_BDF_STR_SIZE], uint16_t domain, uint16_t bdf)
{
	char *p = hex_put(out, domain, 4);

	*p++ = ':';
	p = hex_put(p, PCI_BDF_BUS(bdf), 2);
	*p++ = ':';
	p = hex_put(p, PCI_BDF_DEV(bdf), 2);
	*p++ = '.';
	p = hex_put(p, PCI_BDF_FN(bdf), 1);
	*p = '\0';
}
