/*
 * banned.h — calls we never use (after git's banned.h).
 *
 * strcpy/strcat/sprintf/vsprintf overflow fixed buffers; strtok keeps hidden
 * state; gmtime/localtime return static storage.  Use strbuf, snprintf,
 * strtok_r-free parsing and gmtime_r instead.  Included last by common.h so
 * system headers are unaffected.
 */
#ifndef PA_BANNED_H
#define PA_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)

#endif
