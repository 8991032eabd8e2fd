/*
 * links.h — links between cases: related, merged_into, handover, repeat_of.
 *
 * A link is one row from_case → to_case of a kind, never changed or
 * deleted, one per (from, to, kind):
 *
 *   related      two cases about the same matter (关联); made by staff who
 *                see both, through cases_link().  Symmetric: one row, shown
 *                on both cases; a second one either way is a conflict.
 *   merged_into  the merged case → the surviving one (合并), by
 *                cases_merge(): a generic mechanism for every case type, not
 *                a workflow transition.  The merged case closes (is_open 0)
 *                with its state unchanged and data.merged_into set; it
 *                takes no more transitions, and its number and query code
 *                keep working on the public side, showing the surviving
 *                case (cases_follow_merge).
 *   handover     a case handed to a case of another type (访调对接: a petition
 *                handed to a dispute).  Written by cases_link_tx() inside the
 *                write of the hand-over transition of the type that does it.
 *   repeat_of    the new case → the earlier case of the same party with a
 *                similar text (重复信访), found at intake by
 *                cases_find_repeat() and written with the new case; it
 *                feeds the repeat-petition indicator and never refuses a
 *                submission.
 *
 * Links never cross an accusation: a case that accuses a unit is not linked
 * to a case owned by that unit or one under it (authz rule 1 must not be
 * worked around through a link).  Lists of links show only the linked
 * cases the viewer may see.
 */
#ifndef PA_LINKS_H
#define PA_LINKS_H

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"

#define LINK_NOTE_MAX 1000          /* characters of a link's note or merge reason */
#define LINK_MERGE_DEPTH 16         /* merged_into hops followed for the public */
#define REPEAT_CANDIDATES_MAX 20    /* most recent earlier cases per party hash compared at intake */

bool link_kind_valid(const char *kind);
/* Label of a link seen from one end: outgoing (from this case) or incoming. */
const char *link_kind_label(const char *kind, bool outgoing, const char *lang);

/*
 * Inside a write function: inserts the link from → to and an internal
 * "link" event on both timelines, and appends the audit record.  For
 * workflow steps that link (hand-over); p is the actor (staff or system).
 * PA_ECONFLICT when the link exists.
 */
int cases_link_tx(store_tx_t *tx, arena_t *a, const pa_principal_t *p, const pa_case_t *from,
                  const pa_case_t *to, const char *kind, const char *note, pa_time_t now,
                  pa_id_t *link_id);

/* Links two cases p may see (kind related or handover). */
int cases_link(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *from,
               const pa_case_t *to, const char *kind, const char *note, pa_case_link_t *out,
               pa_err_t *err);

/* Merges cs (open, p may see it) into case into_id (p may see it, same type,
 * not merged itself); *out is cs after the merge. */
int cases_merge(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                pa_id_t into_id, const char *reason, pa_case_t *out, pa_err_t *err);

/* The case cs was merged into (data.merged_into), 0 when none. */
pa_id_t case_merged_into(const pa_case_t *cs);

/* For the public: replaces *cs by the case it was merged into, following up
 * to LINK_MERGE_DEPTH hops; *merged_from is cs's own number then, else NULL. */
int cases_follow_merge(pa_app_t *app, arena_t *a, pa_case_t *cs, const char **merged_from,
                       pa_err_t *err);

/* Links from or to cs, in id order (unfiltered: callers show only visible cases). */
int cases_links(pa_app_t *app, arena_t *a, const pa_case_t *cs, pa_case_link_t **out, size_t *n,
                pa_err_t *err);

/*
 * Repeat detection at intake (read-only): among the earlier cases of the
 * party (phone_hash or id_hash; either may be NULL) created within
 * repeat.window_days before now, the one whose title and body are most
 * like title + body (text_similarity), if that is at least
 * repeat.similarity.  *repeat_of 0 when none.  Never fails: a read error is
 * logged and means "no repeat".
 */
void cases_find_repeat(pa_app_t *app, arena_t *a, const char *title, const char *body,
                       const char *phone_hash, const char *id_hash, pa_time_t now,
                       pa_id_t *repeat_of, double *similarity);
/* Inside the create write: the repeat_of link of the new case. */
int cases_link_repeat_tx(store_tx_t *tx, arena_t *a, pa_id_t new_case, pa_id_t earlier,
                         double similarity, pa_time_t now);

#endif
