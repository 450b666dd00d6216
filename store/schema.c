/* schema.c -- the store's schema as an ordered list of forward-only migrations. A database
 * is at version N when migrations 1..N ran; store.c applies the missing ones at open, in
 * one transaction. Never edit a shipped step: add a new one. */
#include <stddef.h>

#include "store_int.h"
#include "store_schema.h"

static const char *const migrations[] = {
    /* 1: links, tags, the link<->tag relation with cheap counts, snapshots, jobs */
    "CREATE TABLE links ("
    "  id INTEGER PRIMARY KEY,"
    "  url TEXT NOT NULL UNIQUE,"
    "  title TEXT, description TEXT,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  last_snapshot_id INTEGER);"
    "CREATE TABLE tags ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  key TEXT NOT NULL UNIQUE,"
    "  count INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX tags_by_count ON tags(count DESC, name);"
    "CREATE TABLE link_tags ("
    "  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
    "  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (link_id, tag_id)) WITHOUT ROWID;"
    "CREATE INDEX link_tags_by_tag ON link_tags(tag_id, link_id);"
    "CREATE TRIGGER link_tags_ai AFTER INSERT ON link_tags BEGIN"
    "  UPDATE tags SET count = count + 1 WHERE id = NEW.tag_id; END;"
    "CREATE TRIGGER link_tags_ad AFTER DELETE ON link_tags BEGIN"
    "  UPDATE tags SET count = count - 1 WHERE id = OLD.tag_id;"
    "  DELETE FROM tags WHERE id = OLD.tag_id AND count <= 0; END;"
    "CREATE TABLE snapshots ("
    "  id INTEGER PRIMARY KEY,"
    "  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
    "  state TEXT NOT NULL CHECK (state IN ('queued','running','ok','partial','failed')),"
    "  http_status INTEGER, final_url TEXT, title TEXT, width INTEGER, height INTEGER,"
    "  truncated INTEGER NOT NULL DEFAULT 0, blank INTEGER NOT NULL DEFAULT 0,"
    "  path TEXT, thumb_path TEXT, bytes INTEGER, sha256 TEXT, error TEXT,"
    "  attempt INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, finished_at INTEGER,"
    "  timings TEXT, redirects TEXT);"
    "CREATE INDEX snapshots_by_link ON snapshots(link_id, id);"
    "CREATE TABLE jobs ("
    "  id INTEGER PRIMARY KEY,"
    "  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
    "  snapshot_id INTEGER REFERENCES snapshots(id) ON DELETE CASCADE,"
    "  state TEXT NOT NULL CHECK (state IN ('queued','running','done','failed','canceled')),"
    "  attempt INTEGER NOT NULL DEFAULT 0,"
    "  not_before INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX jobs_by_state ON jobs(state, not_before, id);"
    "CREATE INDEX jobs_by_link ON jobs(link_id);",

    /* 2: imports; counters kept by triggers so daemon.status is O(1) at a million links;
     *    a data_version that every change bumps (what has changed since, for a reader) */
    "CREATE TABLE imports ("
    "  id INTEGER PRIMARY KEY,"
    "  source TEXT NOT NULL, format TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('running','done','failed','interrupted')),"
    "  lines INTEGER NOT NULL DEFAULT 0, added INTEGER NOT NULL DEFAULT 0,"
    "  existing INTEGER NOT NULL DEFAULT 0, invalid INTEGER NOT NULL DEFAULT 0,"
    "  errors TEXT NOT NULL DEFAULT '[]', error TEXT,"
    "  tags TEXT NOT NULL DEFAULT '[]', capture INTEGER NOT NULL DEFAULT 1,"
    "  created_at INTEGER NOT NULL, finished_at INTEGER);"
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO counters VALUES"
    "  ('links', (SELECT count(*) FROM links)),"
    "  ('snapshots', (SELECT count(*) FROM snapshots)),"
    "  ('jobs_queued', (SELECT count(*) FROM jobs WHERE state = 'queued')),"
    "  ('jobs_running', (SELECT count(*) FROM jobs WHERE state = 'running')),"
    "  ('data_version', 0);"
    "CREATE TRIGGER links_ai AFTER INSERT ON links BEGIN"
    "  UPDATE counters SET value = value + 1 WHERE name IN ('links', 'data_version'); END;"
    "CREATE TRIGGER links_ad AFTER DELETE ON links BEGIN"
    "  UPDATE counters SET value = value - 1 WHERE name = 'links';"
    "  UPDATE counters SET value = value + 1 WHERE name = 'data_version'; END;"
    "CREATE TRIGGER links_au AFTER UPDATE ON links BEGIN"
    "  UPDATE counters SET value = value + 1 WHERE name = 'data_version'; END;"
    "CREATE TRIGGER link_tags_ai_v AFTER INSERT ON link_tags BEGIN"
    "  UPDATE counters SET value = value + 1 WHERE name = 'data_version'; END;"
    "CREATE TRIGGER link_tags_ad_v AFTER DELETE ON link_tags BEGIN"
    "  UPDATE counters SET value = value + 1 WHERE name = 'data_version'; END;"
    "CREATE TRIGGER snapshots_ai AFTER INSERT ON snapshots BEGIN"
    "  UPDATE counters SET value = value + 1 WHERE name IN ('snapshots', 'data_version'); END;"
    "CREATE TRIGGER snapshots_ad AFTER DELETE ON snapshots BEGIN"
    "  UPDATE counters SET value = value - 1 WHERE name = 'snapshots';"
    "  UPDATE counters SET value = value + 1 WHERE name = 'data_version'; END;"
    "CREATE TRIGGER snapshots_au AFTER UPDATE OF state ON snapshots BEGIN"
    "  UPDATE counters SET value = value + 1 WHERE name = 'data_version'; END;"
    "CREATE TRIGGER jobs_ai AFTER INSERT ON jobs BEGIN"
    "  UPDATE counters SET value = value + 1 WHERE name = 'jobs_' || NEW.state; END;"
    "CREATE TRIGGER jobs_ad AFTER DELETE ON jobs BEGIN"
    "  UPDATE counters SET value = value - 1 WHERE name = 'jobs_' || OLD.state; END;"
    "CREATE TRIGGER jobs_au AFTER UPDATE OF state ON jobs WHEN OLD.state <> NEW.state BEGIN"
    "  UPDATE counters SET value = value - 1 WHERE name = 'jobs_' || OLD.state;"
    "  UPDATE counters SET value = value + 1 WHERE name = 'jobs_' || NEW.state; END;",

    /* 3: data_version moves once per transaction (store_commit bumps it when anything
     *    changed) instead of once per link_tags row: a bookmark with four tags paid four
     *    extra updates */
    "DROP TRIGGER link_tags_ai_v; DROP TRIGGER link_tags_ad_v;",

    /* 4: the capture queue's lists and the charts' day buckets without full scans */
    "CREATE INDEX jobs_by_state_id ON jobs(state, id);"
    "CREATE INDEX snapshots_by_finished ON snapshots(finished_at) WHERE finished_at IS NOT NULL;"
    "CREATE INDEX links_by_created ON links(created_at);",

    /* 5: tag keys become NFKC_Casefold. The work is C, store_tags_rekey in
     *    tags.c: it merges the tags the new key makes equal into the one first created */
    "",

    /* 6: a snapshot may end `blocked` (a bot wall or a 429 named by
     *    capture/botwall.c). SQLite cannot alter a CHECK constraint, and rebuilding
     *    snapshots with foreign keys on would cascade-delete its jobs, so the constraint's
     *    text is edited in the schema table (SQLite's documented way for CHECK changes;
     *    the stored rows are unchanged) and the schema reloaded. Site rules: one row per
     *    normalised match (host, host:port or URL prefix), the settings as a JSON object
     *    (store/sites.c; cookie and header values are kept as given, in this 0600 file). */
    "PRAGMA writable_schema = ON;"
    "UPDATE sqlite_schema SET sql = replace(sql, '''partial'',''failed'')',"
    "  '''partial'',''failed'',''blocked'')') WHERE type = 'table' AND name = 'snapshots';"
    "PRAGMA writable_schema = RESET;"
    "CREATE TABLE site_rules ("
    "  id INTEGER PRIMARY KEY,"
    "  match TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('host','hostport','prefix')),"
    "  rule TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);",

    /* 7: the words of pages (store/text.c). Every capture that brought text keeps it in
     *    page_texts; text_indexed names each link's newest good one, the only one in the
     *    full-text index text_fts (tokenizer "linksnap", fts.c), whose rowid is the link
     *    id and whose content is read back through text_docs (so snippet() works). A
     *    page_texts row leaves the index before it goes (trigger; its link's deletion
     *    cascades here through snapshots). link_trgm indexes the address, title and
     *    description by trigrams: q's substring match without reading every link (the
     *    triggers call no function of ours, so any SQLite client can still edit links);
     *    links_encoded lists the addresses whose readable form differs. */
    "CREATE TABLE page_texts ("
    "  snapshot_id INTEGER PRIMARY KEY REFERENCES snapshots(id) ON DELETE CASCADE,"
    "  link_id INTEGER NOT NULL,"
    "  cut INTEGER NOT NULL DEFAULT 0,"
    "  title TEXT, byline TEXT, lang TEXT, excerpt TEXT,"
    "  text TEXT NOT NULL,"
    "  blocks TEXT);"
    "CREATE INDEX page_texts_by_link ON page_texts(link_id, snapshot_id);"
    "CREATE TABLE text_indexed ("
    "  link_id INTEGER PRIMARY KEY,"
    "  snapshot_id INTEGER NOT NULL UNIQUE REFERENCES page_texts(snapshot_id) ON DELETE CASCADE);"
    "CREATE VIEW text_docs(link_id, text) AS SELECT i.link_id, p.text FROM text_indexed i"
    "  JOIN page_texts p ON p.snapshot_id = i.snapshot_id;"
    "CREATE VIRTUAL TABLE text_fts USING fts5(text, content='text_docs', content_rowid='link_id',"
    "  tokenize='linksnap');"
    "CREATE TRIGGER page_texts_bd BEFORE DELETE ON page_texts"
    "  WHEN EXISTS (SELECT 1 FROM text_indexed WHERE snapshot_id = OLD.snapshot_id) BEGIN"
    "  INSERT INTO text_fts(text_fts, rowid, text) VALUES ('delete', OLD.link_id, OLD.text); END;"
    "CREATE VIRTUAL TABLE link_trgm USING fts5(url, title, description, content='',"
    "  tokenize='trigram');"
    "INSERT INTO link_trgm(rowid, url, title, description) SELECT id, url, title, description FROM links;"
    "CREATE TRIGGER links_trgm_ai AFTER INSERT ON links BEGIN"
    "  INSERT INTO link_trgm(rowid, url, title, description) VALUES (NEW.id, NEW.url,"
    "  NEW.title, NEW.description); END;"
    "CREATE TRIGGER links_trgm_ad AFTER DELETE ON links BEGIN"
    "  INSERT INTO link_trgm(link_trgm, rowid, url, title, description) VALUES ('delete', OLD.id,"
    "  OLD.url, OLD.title, OLD.description); END;"
    "CREATE TRIGGER links_trgm_au AFTER UPDATE OF url, title, description ON links BEGIN"
    "  INSERT INTO link_trgm(link_trgm, rowid, url, title, description) VALUES ('delete', OLD.id,"
    "  OLD.url, OLD.title, OLD.description);"
    "  INSERT INTO link_trgm(rowid, url, title, description) VALUES (NEW.id, NEW.url,"
    "  NEW.title, NEW.description); END;"
    "CREATE INDEX links_encoded ON links(id) WHERE " STORE_ENCODED_URL ";",
    /* 8: what a capture kept besides its picture (issue 19): a snapshot's files, a JSON
     *    object {mhtml: {path, bytes}, pdf: {path, bytes, pages_cut}}; the formats a
     *    snapshot.request asked for (a FORMAT_* bit set of daemon/formats.h; 0 = the
     *    config's and the site rule's) */
    "ALTER TABLE snapshots ADD COLUMN files TEXT;"
    "ALTER TABLE jobs ADD COLUMN formats INTEGER NOT NULL DEFAULT 0;"
    /*    a file's twin: a PNG or a PDF with the same SHA-256 is one file under two names */
    "CREATE INDEX snapshots_by_sha ON snapshots(sha256) WHERE sha256 IS NOT NULL;"
    "CREATE INDEX snapshots_by_pdf_sha ON snapshots(json_extract(files, '$.pdf.sha256'))"
    "  WHERE files IS NOT NULL;",
    /* 9: what kind of partial a snapshot is (store_partial_t: 1 the network never went
     *    quiet and nothing else, 2 any other reason), so that the rule of a good capture
     *    reads a number, not the reason's wording. Older partials are sorted once by the
     *    wording capture/shot.c gave that reason until now (reasons joined with "; ") */
    "ALTER TABLE snapshots ADD COLUMN partial_kind INTEGER NOT NULL DEFAULT 0;"
    "UPDATE snapshots SET partial_kind = CASE WHEN"
    "  substr(error, 1, 46) = 'the network was not quiet after the load event'"
    "  AND instr(error, '; ') = 0 THEN 1 ELSE 2 END WHERE state = 'partial';",
    /* 10: the full-text index's vocabulary (store/fts.c): every term, so that a query's
     *    prefix becomes the OR of its completions, read lazily, instead of FTS5's merge of
     *    every doclist of the prefix. Filled from the indexed texts by
     *    store_fts_terms_rebuild. */
    "CREATE TABLE text_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;",
    /* 11: schedules (issue 20). A job gets a priority (0 a person asked, 1 a watch's
     *    run; the claim takes the lower first) and the exact host of its address, set at
     *    insert by a trigger (linksnap_url_host, store/jobs.c), so that the claim can skip
     *    hosts with per_host_jobs captures running through an index, not a scan. Watches
     *    name a link or a tag (deleted with it; a tag merge moves it, store/tags.c);
     *    watch_runs is each watched link's own clock, kept in step with the watches by
     *    store_watch_sync (store/watch.c). Times in ms but every_s and jitter_s. */
    "ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE jobs ADD COLUMN host TEXT;"
    "UPDATE jobs SET host = (SELECT linksnap_url_host(l.url) FROM links l WHERE l.id = jobs.link_id)"
    "  WHERE state IN ('queued', 'running');"
    "CREATE INDEX jobs_claim ON jobs(state, priority, not_before, id);"
    "CREATE INDEX jobs_by_host ON jobs(state, host);"
    "CREATE TRIGGER jobs_host_ai AFTER INSERT ON jobs WHEN NEW.host IS NULL BEGIN"
    "  UPDATE jobs SET host = (SELECT linksnap_url_host(l.url) FROM links l WHERE l.id = NEW.link_id)"
    "  WHERE id = NEW.id; END;"
    "CREATE TABLE watches ("
    "  id INTEGER PRIMARY KEY,"
    "  link_id INTEGER UNIQUE REFERENCES links(id) ON DELETE CASCADE,"
    "  tag_id INTEGER UNIQUE REFERENCES tags(id) ON DELETE CASCADE,"
    "  every_s INTEGER NOT NULL CHECK (every_s > 0),"
    "  jitter_s INTEGER NOT NULL DEFAULT 0 CHECK (jitter_s >= 0),"
    "  threshold REAL, notify TEXT,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  CHECK ((link_id IS NULL) <> (tag_id IS NULL)));"
    "CREATE TABLE watch_runs ("
    "  link_id INTEGER PRIMARY KEY REFERENCES links(id) ON DELETE CASCADE,"
    "  watch_id INTEGER NOT NULL, every_s INTEGER NOT NULL, jitter_s INTEGER NOT NULL,"
    "  next_run INTEGER NOT NULL, last_run INTEGER);"
    "CREATE INDEX watch_runs_by_next ON watch_runs(next_run);"
    "CREATE INDEX watch_runs_by_watch ON watch_runs(watch_id, next_run);",
    /* 12: broken links (issue 23). snapshots.cause: why a capture failed where the site is
     *    the cause (store_cause_t: 1 its name did not resolve, 2 it refused or reset the
     *    connection), set from the failure's type. links.broken: 1 while the link's newest
     *    finished capture is not good because of the site (a 4xx/5xx answer or such a
     *    cause; a bot wall is blocked, not broken), kept by a trigger in the writer's
     *    transaction and read through a partial index. Older rows: from their status. */
    "ALTER TABLE snapshots ADD COLUMN cause INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE links ADD COLUMN broken INTEGER NOT NULL DEFAULT 0;"
    "CREATE TRIGGER snapshots_broken AFTER UPDATE OF state, http_status, cause ON snapshots"
    "  WHEN NEW.state IN ('ok', 'partial', 'failed', 'blocked') BEGIN"
    "  UPDATE links SET broken = (NEW.state <> 'blocked' AND"
    "    (coalesce(NEW.http_status, 0) BETWEEN 400 AND 599 OR NEW.cause IN (1, 2)))"
    "  WHERE id = NEW.link_id AND NOT EXISTS (SELECT 1 FROM snapshots n WHERE"
    "    n.link_id = NEW.link_id AND n.id > NEW.id AND"
    "    n.state IN ('ok', 'partial', 'failed', 'blocked')); END;"
    "UPDATE links SET broken = 1 WHERE (SELECT n.state <> 'blocked' AND"
    "  coalesce(n.http_status, 0) BETWEEN 400 AND 599 FROM snapshots n WHERE n.link_id = links.id"
    "  AND n.state IN ('ok', 'partial', 'failed', 'blocked') ORDER BY n.id DESC LIMIT 1);"
    "CREATE INDEX links_broken ON links(id) WHERE broken = 1;",
    /* 13: history (issue 20). A good capture is compared with the link's good capture
     *    before it (daemon/snapdiff.c): change_against names that baseline, change_changed
     *    and change_fraction are the result. NULL: not compared (the first good capture, a
     *    capture that is not good, or one older than this step). */
    "ALTER TABLE snapshots ADD COLUMN change_against INTEGER;"
    "ALTER TABLE snapshots ADD COLUMN change_changed INTEGER;"
    "ALTER TABLE snapshots ADD COLUMN change_fraction REAL;",
    /* 14: webhooks (issue 20). One row per POST owed to an address (a watch's notify or
     *    notify_url) for a changed capture, written in the transaction that keeps the
     *    capture's change (daemon/webhook.c), so that it survives kill -9. pending rows are
     *    sent when next_at has come; each failed attempt moves next_at by a back-off and
     *    counts in attempts; the fifth makes the row failed; a 2xx makes it done (next_at
     *    is then when, for pruning). body is the JSON text posted. */
    "CREATE TABLE deliveries ("
    "  id INTEGER PRIMARY KEY,"
    "  url TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  snapshot_id INTEGER,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_at INTEGER NOT NULL,"
    "  last_error TEXT,"
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','done','failed')),"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX deliveries_due ON deliveries(state, next_at);",
    /* 15: the changes view (issue 20): snapshot.changes pages the changed captures of all
     *    links newest first, through this partial index (a few rows among many). */
    "CREATE INDEX snapshots_changed ON snapshots(id) WHERE change_changed = 1;",
    /* 16: merges remembered (issue 23). A tag merged or renamed away leaves its key here,
     *    pointing at the tag it went into, so an import or a filter that still says the
     *    old name finds the new tag. A key is a live tag's or an alias's, never both
     *    (tags.c keeps that); chains are resolved when written, so tag_id is always the
     *    live tag, and deleting it deletes its aliases. name: the old spelling, shown. */
    "CREATE TABLE tag_aliases ("
    "  key TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE) WITHOUT ROWID;"
    "CREATE INDEX tag_aliases_by_tag ON tag_aliases(tag_id);",
    /* 17: retention (issue 20). A watch may set keep_last (captures) and keep_mb (MiB of
     *    its links' files); NULL takes the config's watch_keep_last / watch_keep_mb.
     *    store_retain_link (store/retain.c) prunes a watched link's history after each
     *    capture. meta holds settings of the store itself: retain_floor is the largest
     *    snapshot id when this step ran, and no snapshot at or below it is ever pruned
     *    (history kept before retention existed stays as it was). counters gets the
     *    snapshots pruned so far, for daemon.status. */
    "ALTER TABLE watches ADD COLUMN keep_last INTEGER;"
    "ALTER TABLE watches ADD COLUMN keep_mb INTEGER;"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta VALUES ('retain_floor', (SELECT coalesce(max(id), 0) FROM snapshots));"
    "INSERT INTO counters VALUES ('snapshots_pruned', 0);",
};

int store_schema_code(store_t *s, int version)
{
    switch (version) {
    case 5:
        return store_tags_rekey(s);
    case 10:
        return store_fts_terms_rebuild(s);
    default:
        return STORE_OK;
    }
}

int store_schema_count(void) { return (int)(sizeof migrations / sizeof migrations[0]); }

const char *store_schema_step(int version)
{
    if (version < 1 || version > store_schema_count())
        return NULL;
    return migrations[version - 1];
}
