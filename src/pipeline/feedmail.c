/*
 * feedmail.c - a feed's reports from the attachments of one message
 * (feedmail.h). Each report's bytes go to an anonymous memory file
 * (memfd), since ingest reads a report twice (its hash, then its records).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zip.h>

#include "core/clock.h"
#include "pipeline/feedmail.h"

#define SOURCE_MAX 512

static bool
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

struct run {
	struct pipeline *p;
	struct store *st;
	struct constituency_index *ci;
	const char *feed, *message_id;
	struct feedmail_result *res;
	char *why;
};

/* One report from fd (at its start). CS_OK unless the store failed. */
static enum cs_err
run_fd(struct run *r, const struct ingest_parser *parser, const char *name,
       int fd)
{
	struct ingest_result ir;
	char source[SOURCE_MAX], iwhy[INGEST_WHY_MAX];
	enum cs_err err;

	snprintf(source, sizeof(source), "mail:%s/%s",
	         r->message_id[0] ? r->message_id : "(no message id)", name);
	err = pipeline_run(r->p, r->st, r->ci, r->feed, parser, fd, source,
	                   clock_now(), &ir, iwhy);
	if (err == CS_E_DB || err == CS_E_STALE ||
	    (err != CS_OK && ir.report.id == 0)) {
		snprintf(r->why, INGEST_WHY_MAX, "%.60s: %.180s", name, iwhy);
		return err == CS_OK ? CS_E_DB : err;
	}
	r->res->reports++;
	if (err != CS_OK)
		r->res->failed++; /* recorded as failed, with its reason */
	else if (ir.already_done)
		r->res->already++;
	else
		r->res->events += ir.report.stored;
	return CS_OK;
}

/* The parser for an attachment of this name, or false to skip it. */
static bool
parser_for(struct run *r, const char *name, struct ingest_parser *out)
{
	char pwhy[PIPELINE_WHY_MAX];

	return pipeline_parser(r->p, r->feed, NULL, name, out, pwhy) == CS_OK;
}

static int
memfd(void)
{
	return memfd_create("csirtd-feedmail", MFD_CLOEXEC);
}

static enum cs_err
run_bytes(struct run *r, const char *name, const unsigned char *data,
          size_t size)
{
	struct ingest_parser parser;
	enum cs_err err;
	int fd;

	if (!parser_for(r, name, &parser)) {
		r->res->skipped++;
		return CS_OK;
	}
	if ((fd = memfd()) < 0 || !write_all(fd, data, size) ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		snprintf(r->why, INGEST_WHY_MAX, "%s: %s", name,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return CS_E_IO;
	}
	err = run_fd(r, &parser, name, fd);
	close(fd);
	return err;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Each file of a ZIP attachment, streamed into its own memfd. */
static enum cs_err
run_zip(struct run *r, const struct mime_attachment *at)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *z;
	zip_int64_t n;
	enum cs_err err = CS_OK;

	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(at->data, at->size, 0, &ze)) ==
	    NULL) {
		zip_error_fini(&ze);
		return CS_OK;
	}
	if ((z = zip_open_from_source(src, ZIP_RDONLY, &ze)) == NULL) {
		/* not a ZIP archive after all: the feed cannot read it */
		zip_source_free(src);
		zip_error_fini(&ze);
		r->res->skipped++;
		return CS_OK;
	}
	n = zip_get_num_entries(z, 0);
	for (zip_int64_t i = 0; i < n && err == CS_OK; i++) {
		struct ingest_parser parser;
		zip_stat_t zs;
		zip_file_t *zf;
		char buf[64 * 1024];
		const char *name;
		zip_int64_t got;
		zip_uint64_t total = 0;
		int fd;

		if (i >= FEEDMAIL_ZIP_FILES) {
			r->res->skipped += (size_t)(n - i);
			break;
		}
		if (zip_stat_index(z, (zip_uint64_t)i, 0, &zs) != 0 ||
		    !(zs.valid & ZIP_STAT_NAME) || zs.name[0] == '\0' ||
		    zs.name[strlen(zs.name) - 1] == '/')
			continue; /* a directory */
		name = base_name(zs.name);
		if (name[0] == '\0' || !parser_for(r, name, &parser) ||
		    ((zs.valid & ZIP_STAT_SIZE) &&
		     zs.size > FEEDMAIL_ZIP_FILE_MAX) ||
		    (zf = zip_fopen_index(z, (zip_uint64_t)i, 0)) == NULL) {
			r->res->skipped++;
			continue;
		}
		if ((fd = memfd()) < 0) {
			zip_fclose(zf);
			snprintf(r->why, INGEST_WHY_MAX, "%s: %s", name,
			         strerror(errno));
			err = CS_E_IO;
			break;
		}
		while ((got = zip_fread(zf, buf, sizeof(buf))) > 0) {
			total += (zip_uint64_t)got;
			if (total > FEEDMAIL_ZIP_FILE_MAX ||
			    !write_all(fd, buf, (size_t)got))
				break;
		}
		zip_fclose(zf);
		if (got != 0 || lseek(fd, 0, SEEK_SET) != 0) {
			/* damaged, over the limit or unreadable (encrypted):
			 * the feed cannot read it */
			r->res->skipped++;
			close(fd);
			continue;
		}
		err = run_fd(r, &parser, name, fd);
		close(fd);
	}
	zip_close(z); /* read only: discards, frees the source */
	zip_error_fini(&ze);
	return err;
}

static bool
is_zip(const struct mime_attachment *at)
{
	size_t n = strlen(at->filename);

	return (n > 4 && strcasecmp(at->filename + n - 4, ".zip") == 0) ||
	       strcmp(at->content_type, "application/zip") == 0 ||
	       strcmp(at->content_type, "application/x-zip-compressed") == 0;
}

enum cs_err
feedmail_take(struct pipeline *p, struct store *st,
              struct constituency_index *ci, const char *feed,
              const struct mime_msg *m, struct feedmail_result *res,
              char why[INGEST_WHY_MAX])
{
	struct run r = {p, st, ci, feed, m->message_id, res, why};
	enum cs_err err = CS_OK;

	memset(res, 0, sizeof(*res));
	why[0] = '\0';
	for (size_t i = 0; i < m->n_attachments && err == CS_OK; i++) {
		const struct mime_attachment *at = &m->attachments[i];

		if (at->is_message || at->size == 0) {
			res->skipped++;
			continue;
		}
		if (is_zip(at))
			err = run_zip(&r, at);
		else
			err = run_bytes(
			    &r, at->filename[0] ? at->filename : "attachment",
			    at->data, at->size);
	}
	return err;
}
