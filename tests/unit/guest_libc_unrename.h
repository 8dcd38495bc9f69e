/* guest_libc_unrename.h - undoes guest_libc_rename.h: the host's libc again. */
#undef memset
#undef memcpy
#undef memmove
#undef memcmp
#undef strlen
#undef strcmp
#undef strncmp
#undef strchr
#undef vsnprintf
#undef snprintf
