/*
 * hex_digit.h - the value of one hexadecimal digit, for the number parsers
 * of both sides (the guest's command line, the BDFs of common/pci_bdf.c).
 * Freestanding: no library call.
 */
#ifndef COMMON_HEX_DIGIT_H
#define COMMON_HEX_DIGIT_H

/* 0-15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for anything else. */
static inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
