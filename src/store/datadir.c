#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/secret.h"
#include "store/datadir.h"

enum cs_err
datadir_write_initial_password(const char *dir, const char *pw, char *errbuf,
                               size_t errlen)
{
	char path[1100];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, DATADIR_PW_FILE);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(errbuf, errlen, "cannot write %s: %s", path,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return CS_E_IO;
	}
	fprintf(f, "%s\n", pw);
	if (fclose(f) != 0) {
		snprintf(errbuf, errlen, "cannot write %s: %s", path,
		         strerror(errno));
		return CS_E_IO;
	}
	return CS_OK;
}

void
datadir_forget_initial_password(const char *dir, const char *old_hash)
{
	char path[1100], pw[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, DATADIR_PW_FILE);
	if (old_hash == NULL || (f = fopen(path, "r")) == NULL)
		return;
	if (fgets(pw, sizeof(pw), f) != NULL) {
		pw[strcspn(pw, "\n")] = '\0';
		if (password_verify(old_hash, pw))
			unlink(path);
	}
	fclose(f);
	sodium_memzero(pw, sizeof(pw));
}
