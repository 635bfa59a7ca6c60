/*
 * err.h - the one error type of csirtd.
 *
 * Every fallible function returns enum cs_err and passes results through
 * *_out parameters. cs_err_http() in http/server.c is the only place an error
 * becomes an HTTP status; cs_err_str() gives the stable text used in logs.
 */
#ifndef CS_ERR_H
#define CS_ERR_H

enum cs_err {
	CS_OK = 0,
	CS_E_INVAL,    /* bad input: a caller mistake */
	CS_E_NOTFOUND, /* no such object */
	CS_E_CONFLICT, /* exists already, or a rule forbids the change */
	CS_E_STALE,    /* precondition (version) failed */
	CS_E_TOOBIG,   /* a size limit was reached */
	CS_E_DENIED,   /* authenticated but not allowed */
	CS_E_AUTH,     /* not authenticated */
	CS_E_LIMITED,  /* rate limited */
	CS_E_DB,       /* storage failure */
	CS_E_IO,       /* file or network failure */
	CS_E_INTERNAL, /* a bug or an unexpected library failure */
};

const char *cs_err_str(enum cs_err err);

#endif
