/*
 * dropdir.h - the watched drop directory ([pipeline] drop_dir).
 *
 * A thread looks into DROP_DIR every [pipeline] drop_interval seconds.
 * Each subdirectory is a feed: DROP_DIR/FEED/NAME is a report of FEED. A
 * file is taken only when complete: writers write it elsewhere (or under a
 * name starting with '.' or ending in .tmp or .part, which are ignored)
 * and rename it into the directory. A taken file is moved into the spool
 * and queued (collect_submit_path(): hard link or copy, removed from the
 * drop directory only once the report is queued or known); the file name
 * is the report's source, from which a Shadowserver report kind is
 * detected. A file the pipeline cannot take (no report kind in its name,
 * over report_max, refused by the parser later) is moved to
 * DROP_DIR/FEED/failed/ with NAME.why beside it. A subdirectory that names
 * no feed is logged once and left alone. A store failure leaves the file
 * where it is for the next look.
 *
 * Limits: at most DROPDIR_BATCH files per feed per look.
 */
#ifndef CS_DROPDIR_H
#define CS_DROPDIR_H

#include "core/config.h"
#include "core/err.h"
#include "pipeline/collect.h"

#define DROPDIR_BATCH 1000

struct dropdir;

/* NULL when cfg has no drop_dir. */
struct dropdir *dropdir_start(const struct config *cfg, struct collect *c,
                              struct pipeline *p);
void dropdir_stop(struct dropdir *d);

/* One look (what the thread does each interval); counts files queued. */
enum cs_err dropdir_scan(struct dropdir *d, struct store *st,
                         size_t *queued_out);

#endif
