/*
 * guest_libc_rename.h - include before a guest .c file that a host test
 * compiles in: the guest's own libc-named functions (guest/lib.h) become
 * guest_*, so they and the host's libc coexist in one test binary. Include
 * guest_libc_unrename.h after it. Not a guarded header: it is meant to be
 * included once per guest file.
 */
#define memset guest_memset
#define memcpy guest_memcpy
#define memmove guest_memmove
#define memcmp guest_memcmp
#define strlen guest_strlen
#define strcmp guest_strcmp
#define strncmp guest_strncmp
#define strchr guest_strchr
#define vsnprintf guest_vsnprintf
#define snprintf guest_snprintf
