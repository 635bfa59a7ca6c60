#include "core/err.h"

const char *
cs_err_str(enum cs_err err)
{
	switch (err) {
	case CS_OK:
		return "ok";
	case CS_E_INVAL:
		return "invalid input";
	case CS_E_NOTFOUND:
		return "not found";
	case CS_E_CONFLICT:
		return "conflict";
	case CS_E_STALE:
		return "precondition failed";
	case CS_E_TOOBIG:
		return "too large";
	case CS_E_DENIED:
		return "forbidden";
	case CS_E_AUTH:
		return "not authenticated";
	case CS_E_LIMITED:
		return "rate limited";
	case CS_E_DB:
		return "database error";
	case CS_E_IO:
		return "i/o error";
	case CS_E_INTERNAL:
		return "internal error";
	}
	return "unknown error";
}
