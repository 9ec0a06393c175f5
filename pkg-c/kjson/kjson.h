/*
 * kjson: cJSON helpers for what Kubernetes objects need.
 *
 * - Exact int64: cJSON keeps numbers as doubles (and valueint clamps at INT_MAX). Reading
 *   accepts only integral values and refuses, rather than rounds, what a double cannot hold
 *   exactly. Writing emits the exact decimal digits.
 * - Walking paths (metadata.name …) and reading strings without type surprises.
 * - resourceVersion as an opaque string: never parsed as a number.
 * - Resource quantities ("2Gi", "500m", "1.5e3") parsed exactly into nano-units, compared,
 *   converted and formatted.
 *
 * Nothing here allocates except where it says so; returned strings and items point into the
 * caller's tree and live as long as it does. No function prints, exits or blocks.
 */
#ifndef DBAAS_KJSON_H
#define DBAAS_KJSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* ---- JSON access ------------------------------------------------------------------- */

/*
 * Reads obj[key] as an int64 into *out (left untouched on error). Returns:
 *   CORE_OK       an integral number in range;
 *   CORE_ENOENT   obj is NULL or has no member key;
 *   CORE_EINVAL   not a number, not integral, or outside int64;
 *   CORE_ETOOBIG  a parsed number whose magnitude is 2^53 or more: cJSON stored it as a
 *                 double, which cannot tell 9007199254740993 from 9007199254740992, so the
 *                 value is refused rather than silently rounded.
 * A raw item written by kjson_add_int64 (or any cJSON_Raw holding a decimal integer) is read
 * from its text, exactly, over the whole int64 range.
 * Caveat: for parsed numbers the check runs on the double cJSON kept, so a literal such as
 * 1.00000000000000001, which rounds to 1.0 when parsed, reads as 1.
 */
int kjson_get_int64(const cJSON *obj, const char *key, int64_t *out);

/* As kjson_get_int64 for an item already in hand; CORE_ENOENT when item is NULL. */
int kjson_item_int64(const cJSON *item, int64_t *out);

/*
 * item as an int when it is an integral number from lo to hi (inclusive), else dflt. For
 * counters and ports read from objects the API server sent: a value outside the range (a
 * hostile 1e300, NaN, 2.5) never reaches a cast, whose result C leaves undefined (C11
 * 6.3.1.4). Never fails.
 */
int kjson_int_or(const cJSON *item, int lo, int hi, int dflt);

/*
 * Adds obj[key] = v with its exact decimal digits. Values that fit an int are added as plain
 * cJSON numbers (cJSON prints those exactly, and they compare equal to parsed ones with
 * cJSON_Compare); larger ones as raw text, because cJSON would print 1000000000000000 as
 * 1e+15, which Kubernetes refuses for an int64 field. Returns CORE_OK, CORE_EINVAL (obj not
 * an object) or CORE_ENOMEM.
 */
int kjson_add_int64(cJSON *obj, const char *key, int64_t v);

/* A new item holding v, under the same rules (for arrays). NULL when out of memory. */
cJSON *kjson_create_int64(int64_t v);

/* obj[key] when it is a string, else NULL (absent, null, number …). obj may be NULL. */
const char *kjson_get_str(const cJSON *obj, const char *key);

/*
 * Reads obj[key] as a boolean into *out (1 or 0). CORE_OK, CORE_ENOENT (absent) or
 * CORE_EINVAL (not true/false).
 */
int kjson_get_bool(const cJSON *obj, const char *key, int *out);

/*
 * Walks object members: kjson_path(obj, "metadata", "name", NULL). Keys are compared case-
 * sensitively, as Kubernetes does. Returns the item, or NULL if obj is NULL or any step is
 * missing or not an object. With no keys it returns obj.
 */
cJSON *kjson_path(const cJSON *obj, ...) __attribute__((sentinel));

/* kjson_path, then the item's string if it is one, else NULL. */
const char *kjson_path_str(const cJSON *obj, ...) __attribute__((sentinel));

/* Deletes every member of obj (an object; anything else, or NULL: nothing) whose key is not
 * one of the n in keep. For the informers' transforms, which cache only what is read; inside
 * kjson_pool_edit the deletes are the pool's. */
void kjson_keep(cJSON *obj, const char *const *keep, size_t n);

/*
 * A malloc'd copy of the string at the path; NULL when absent, not a string, or out of
 * memory. The caller frees it.
 */
char *kjson_strdup_path(const cJSON *obj, ...) __attribute__((sentinel));

/*
 * metadata.resourceVersion of a Kubernetes object, or NULL. It is an opaque string: compare
 * it only for equality and pass it back verbatim; never parse or order it.
 */
const char *kjson_resource_version(const cJSON *obj);

/* ---- Resource quantities ----------------------------------------------------------- */

/*
 * The suffix family a quantity was written with, kept so that formatting can answer in kind
 * (like resource.Quantity's Format).
 */
typedef enum {
    KJSON_QTY_DECIMAL_SI = 0, /* "", n u m k M G T P E */
    KJSON_QTY_BINARY_SI = 1,  /* Ki Mi Gi Ti Pi Ei */
    KJSON_QTY_DECIMAL_EXP = 2 /* 1e3, 5E-2 */
} kjson_qty_format;

__extension__ typedef __int128 kjson_i128;

/*
 * An exact quantity: nano counts units of 10^-9 ("1" is 1,000,000,000; "1Ki" is
 * 1,024,000,000,000). |nano| is below KJSON_QTY_MAX_NANO, i.e. below 10^29 units.
 */
typedef struct {
    kjson_i128       nano;
    kjson_qty_format format;
} kjson_quantity;

/* Exclusive bound on |nano|: 10^38. */
#define KJSON_QTY_MAX_NANO \
    ((kjson_i128)10000000000000000000ull * (kjson_i128)10000000000000000000ull)

/* Significant digits accepted in the number part of a quantity. */
#define KJSON_QTY_MAX_DIGITS 100

/* Enough room for any formatted quantity, with its NUL. */
#define KJSON_QTY_STRLEN 48

/*
 * Parses s with Kubernetes' quantity grammar:
 *     quantity       = [ "+" | "-" ] number suffix
 *     number         = digits [ "." [ digits ] ] | "." digits
 *     suffix         = "" | binarySI | decimalSI | exponent
 *     binarySI       = "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
 *     decimalSI      = "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E"
 *     exponent       = ( "e" | "E" ) [ "+" | "-" ] digits
 * The whole string must match: no spaces, nothing left over. "1E" is one exa; "1e" is
 * invalid. Precision below one nano-unit is rounded away from zero, as Kubernetes does
 * ("0.1n" is 1n). Returns CORE_OK, CORE_EINVAL (not a quantity; s may be NULL), or
 * CORE_ETOOBIG (|value| of 10^29 units or more, or more than KJSON_QTY_MAX_DIGITS
 * significant digits). *q is written only on success.
 */
int kjson_quantity_parse(const char *s, kjson_quantity *q);

/* -1, 0 or 1 as a is less than, equal to or greater than b, by value only. */
int kjson_quantity_cmp(const kjson_quantity *a, const kjson_quantity *b);

/*
 * The value in whole units (bytes for memory and storage), a fractional part rounded away
 * from zero like resource.Quantity.Value(): "0.5" gives 1, "-0.5" gives -1.
 * CORE_OK or CORE_ETOOBIG when outside int64.
 */
int kjson_quantity_bytes(const kjson_quantity *q, int64_t *out);

/* The value in thousandths (millicores for CPU), rounded away from zero; as above. */
int kjson_quantity_milli(const kjson_quantity *q, int64_t *out);

/*
 * Writes a canonical form without a decimal point:
 * - a binary-suffixed quantity holding a whole number of units uses the largest binary
 *   suffix that divides it exactly ("1536Mi", "1Gi", "1000": below 1Ki no suffix);
 * - otherwise the largest decimal suffix (n u m "" k M G T P E) that leaves an integer
 *   mantissa ("1500M" for 1.5G, "500m" for 0.5), or for a quantity written with an exponent
 *   the same mantissa with "e<3k>" ("15e2" parses to 1.5k and formats as "1500", "1e3" as
 *   "1e3");
 * - zero is "0".
 * kjson_quantity_parse of the output gives an equal value. Returns CORE_OK, or CORE_ETOOBIG
 * when len is too small (KJSON_QTY_STRLEN always suffices); buf is then "" when len > 0.
 */
int kjson_quantity_format(const kjson_quantity *q, char *buf, size_t len);

/*
 * Convenience: parses obj[key] when it is a string or a number (Kubernetes accepts both for
 * int-or-string quantities). CORE_ENOENT when absent; otherwise as kjson_quantity_parse.
 */
int kjson_get_quantity(const cJSON *obj, const char *key, kjson_quantity *q);

/* ---- Raw JSON text (no tree) ------------------------------------------------------- */
/*
 * For the hot paths that must find a member, or leave one out, before the text becomes a
 * cJSON tree (a watch event, a list item). Only the structure is checked: brackets match,
 * strings end. Scalars are not validated, so these never stand in for a parse; whatever they
 * hand on is parsed by cJSON, which validates it. They allocate nothing, keep no state, and
 * read only [p, end).
 */
#define KJSON_SCAN_DEPTH_MAX 512 /* nesting deeper than this is refused (cJSON allows 1000) */

typedef struct {
    const char *p; /* into the caller's text */
    size_t      n;
} kjson_span;

/* Returns p moved past JSON whitespace (RFC 8259 section 2), at most to end. */
const char *kjson_skip_ws(const char *p, const char *end);

/* p is at '"'. Returns just past the closing quote, or NULL if the text ends first (a trailing
 * backslash included). */
const char *kjson_skip_string(const char *p, const char *end);

/* Returns the end of the JSON value at p (no leading whitespace), or NULL if it is cut short,
 * its brackets do not match, or it nests deeper than KJSON_SCAN_DEPTH_MAX. */
const char *kjson_skip_value(const char *p, const char *end);

/* Whether the n bytes at k are exactly want (a key compared as written: no unescaping). */
int kjson_key_is(const char *k, size_t n, const char *want);

/*
 * Finds the first member key of the object whose text starts at p (leading whitespace
 * allowed). Returns 1 with *value the member's value and *cut the text that removes the
 * member and one comma beside it; 0 when p holds no object, the object has no such member,
 * its text is malformed before the member ends, or what follows the member is neither a
 * comma and another member's key nor the object's end (so that the cut never makes text
 * that was not JSON into JSON). Keys are compared as written, not unescaped (the API server
 * never escapes the ones we look for): "obj\u0065ct" is not "object".
 */
int kjson_member(const char *p, const char *end, const char *key, kjson_span *value, kjson_span *cut);

/*
 * As kjson_member, but stops at the member's value: returns 1 with *value at its first byte,
 * neither its end nor what follows it looked at (so end may lie past the object's end); 0
 * when p holds no object, it has no such member, or its text is malformed before the value.
 */
int kjson_member_at(const char *p, const char *end, const char *key, const char **value);

/*
 * The text of metadata.managedFields in the Kubernetes object obj (n bytes), with one comma,
 * in *cut; returns 1, or 0 when there is none. managedFields is read by nobody here and is
 * often half an object's bytes (server-side apply): informers leave it out before parsing.
 * A scalar inside it that is not valid JSON goes unnoticed once it is left out. What is read
 * is the object's members up to metadata and metadata's up to managedFields' end (all of
 * metadata when it has none), never past metadata: n may run past the object's end (the
 * rest of a watch event's line).
 */
int kjson_managed_fields(const char *obj, size_t n, kjson_span *cut);

/*
 * A copy of the n bytes at s without the span cut (which must lie inside them), NUL-
 * terminated, its length in *len. Returns NULL when out of memory or when cut is not inside
 * s; the caller frees the copy with free().
 */
char *kjson_without(const char *s, size_t n, const kjson_span *cut, size_t *len);

/* ---- Trees parsed into a pool ------------------------------------------------------ */

/*
 * A pool holds read-only trees parsed into it and frees them all at once. A parse into a
 * pool takes its items from blocks of KJSON_POOL_BLOCK bytes (a larger item gets a block of
 * its own), so it costs no malloc per item, and freeing costs no cJSON_Delete walk: for the
 * trees of one reconcile (ctrl_view), parsed again on every reconcile, that is most of what
 * they cost (issue 18). Not glibc's obstack: it exits the process when memory runs out.
 *
 * Rules:
 * - never cJSON_Delete a pooled tree, nor detach from, add to or replace in it (but inside
 *   kjson_pool_edit): its memory is not malloc's. cJSON_Duplicate it for a tree of your own;
 * - cJSON's allocation hooks are process-wide: a parse into a pool (and kjson_pool_edit)
 *   points them at the pool and puts back, before it returns, the ones it found: cJSON's
 *   defaults (malloc, free, realloc), or an outer parse's or edit's pool. So no other thread
 *   may use cJSON meanwhile (this program's loop is one thread), and a program that sets
 *   hooks of its own (cJSON_InitHooks) must not use pools.
 */
#define KJSON_POOL_BLOCK (32 * 1024)

typedef struct kjson_pool kjson_pool;

/* An empty pool into *out (nothing else is allocated until the first parse). CORE_OK or
 * CORE_ENOMEM (*out NULL). */
int kjson_pool_new(kjson_pool **out);

/*
 * Parses the len bytes at json into p, as cJSON_ParseWithLength does: the first JSON value,
 * what follows it unchecked. The byte after them must be readable (a NUL, as in the store's
 * texts): cJSON 1.7.15 may look one byte past len (DaveGamble/cJSON issue 804). Returns the tree, valid until
 * kjson_pool_free(p) (or kjson_pool_give(p), for a pool taken in turns); NULL when p or json is NULL, the text does not start with a JSON
 * value, or memory ran out (what the failed parse took stays in p until it is freed).
 */
const cJSON *kjson_pool_parse(kjson_pool *p, const char *json, size_t len);

/*
 * For a tree that is parsed, changed a little and dropped, one at a time (an informer's
 * list items and watch events): the same pool serves them one after another, and a tree
 * changes only inside kjson_pool_edit.
 *
 * kjson_pool_take: 1 when p was idle and is now the caller's, 0 when p is NULL or taken
 * (a nested user: it parses on the heap instead).
 * kjson_pool_give: ends the turn: every tree parsed into p is gone, the pool is idle again.
 * One block of KJSON_POOL_BLOCK bytes is kept for the next turn, so a turn costs no malloc
 * unless its tree is larger; every other block is freed.
 * kjson_pool_turns: how many turns p was taken for (0 for NULL), for tests and benchmarks.
 */
int    kjson_pool_take(kjson_pool *p);
void   kjson_pool_give(kjson_pool *p);
size_t kjson_pool_turns(const kjson_pool *p);

/*
 * As kjson_pool_parse, for a tree that kjson_pool_edit may change, and as
 * cJSON_ParseWithLengthOpts(json, len, end, 0): *end (when end is not NULL) is where the
 * parse stopped, on success just past the value, on failure near the error.
 */
cJSON *kjson_pool_parse_end(kjson_pool *p, const char *json, size_t len, const char **end);

/*
 * Calls fn(tree, data) with cJSON's hooks pointed at p, and returns what fn returns: inside
 * fn, tree (parsed into p) may be changed with cJSON's functions. What fn adds comes from p;
 * what it deletes (cJSON_Delete, cJSON_DeleteItemFromObject) stays in p until the turn ends.
 * fn must not keep, print or free anything else with cJSON: all of it would be p's. Nests
 * (the hooks of an outer parse or edit are put back). With p NULL, fn runs with cJSON's
 * defaults, for a tree on the heap.
 */
int kjson_pool_edit(kjson_pool *p, int (*fn)(cJSON *tree, void *data), cJSON *tree, void *data);

/* Bytes of blocks p holds (each block's size, not malloc's overhead); 0 for NULL. */
size_t kjson_pool_bytes(const kjson_pool *p);

/* Frees p and every tree parsed into it. p may be NULL. */
void kjson_pool_free(kjson_pool *p);

#endif
