/*
 * guest_printf.h - the guest's printf, captured, for a host test that
 * compiles a guest .c file in. Before including the guest file, define
 * printf as guest_printf (function-like, `#define printf(...)
 * guest_printf(__VA_ARGS__)`, so lib.h's format(printf) declaration stays
 * and checks every call); include this after it. Everything the guest code
 * prints lands in guest_out[0..guest_out_len), NUL-terminated, which a
 * test reads and resets (guest_out_reset). Not a guarded header: one
 * per test.
 */
static char guest_out[4096];
static size_t guest_out_len;

int guest_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(guest_out + guest_out_len, sizeof(guest_out) - guest_out_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		guest_out_len += (size_t)n < sizeof(guest_out) - guest_out_len ? (size_t)n
										: sizeof(guest_out) - guest_out_len - 1;
	return n;
}

static void guest_out_reset(void)
{
	guest_out_len = 0;
	guest_out[0] = '\0';
}
