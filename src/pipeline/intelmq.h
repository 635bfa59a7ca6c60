/*
 * intelmq.h - IntelMQ's own event lines as a feed, so a team moving from
 * IntelMQ brings its events over: the output of IntelMQ's file output bot
 * (one JSON object per line, the harmonisation's dotted names, "__type":
 * "Event"), and what `GET /api/v1/events?format=jsonl` gives back.
 *
 * Each line is read with event_from_json(), which checks every field
 * against its type and refuses keys this model does not have (naming the
 * key), so nothing is silently lost. A line that does not read is a
 * malformed record with its line number and reason; the report goes on.
 * Empty lines are skipped. A line of IntelMQ's "Report" type is malformed
 * ("__type" must be "Event"). time.observation is kept when the line has
 * one, else it is the report's observation time.
 *
 * Streamed: memory is one line (at most INTELMQ_LINE_MAX bytes; a longer
 * line is malformed and skipped to its end) and one batch of events;
 * never the input. Events reach the sink in batches of SS_BATCH_EVENTS,
 * as the other parsers deliver them.
 */
#ifndef CS_INTELMQ_H
#define CS_INTELMQ_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "pipeline/shadowserver.h"

#define INTELMQ_LINE_MAX (1024 * 1024)

/* CS_OK when the input was read to its end (malformed lines included);
 * CS_E_IO with why when it could not be read. st_out may be NULL. */
enum cs_err intelmq_parse_fd(int fd, int64_t observation,
                             const struct ss_sink *sink,
                             struct ss_stats *st_out, char why_out[SS_WHY_MAX]);
enum cs_err intelmq_parse_buf(const char *data, size_t n, int64_t observation,
                              const struct ss_sink *sink,
                              struct ss_stats *st_out,
                              char why_out[SS_WHY_MAX]);

#endif
