"""report: the search index keyed by commune and trigram, in place of the trigram index of migration 0015 (PostgreSQL)

Migration 0015's GIN index has the commune as one key and each trigram as another: a search reads the posting
list of every trigram of its words for the whole country, then keeps its commune's. At 10 million reports a
search for "xe may" read 12,113 blocks (65.7 ms of SQL, warm), ten times what it read at 1 million, while the
commune's own reports stayed ~3,000 (benchmarks/scale.py, docs/deploy.md).

Here each report's keys are (commune, trigram) pairs in one bigint, the commune in the high bits, computed by
``report_search_keys`` from the folded search text; a search asks for the keys of the trigrams inside its
words (``report_search_pattern_keys``), so it reads only its own commune's postings: 4 index blocks where
0015's read 816, on 1 million reports in 330 communes. Only trigrams with no word boundary are kept, on both
sides: those are the ones a substring match guarantees, and they are a third of a text's trigrams, which keeps
the index at 1.8 times the size of 0015's. The ``LIKE`` stays and decides; the keys only narrow.

pg_trgm's ``show_trgm`` does the splitting and lower-casing, so the keys follow its rules on both sides. It is
called by its schema, as index expressions are also computed with an empty search_path (pg_restore, autovacuum).
Built CONCURRENTLY; the old index is dropped only once the new one is ready. SQLite keeps the plain scan.

Revision ID: 0020_report_search_commune_keys
Revises: 0019_report_triage_stats_index
Create Date: 2026-12-04 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_report_search_commune_keys"
down_revision = "0019_report_triage_stats_index"
branch_labels = None
depends_on = None

NAME = "ix_report_search_keys"  # server/reports/models.py POSTGRESQL_ONLY_INDEXES
OLD = "ix_report_search_trgm"  # migration 0015

# A trigram as 24 bits: its three bytes, or the 24-bit hash pg_trgm shows (0xhhhhhh) for one with longer characters.
TRIGRAM_CODE = """CASE WHEN length(g) = 3
      THEN (ascii(substr(g, 1, 1)) << 16) | (ascii(substr(g, 2, 1)) << 8) | ascii(substr(g, 3, 1))
      ELSE ('x' || substr(g, 3))::bit(24)::integer END"""

FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION report_search_keys(commune integer, body text) RETURNS bigint[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ARRAY(
    SELECT (commune::bigint << 24) | {code}
    FROM unnest({trgm}.show_trgm(body)) g
    WHERE length(g) <> 3 OR position(' ' in g) = 0)
$$""",
    """
COMMENT ON FUNCTION report_search_keys(integer, text) IS
  'The (commune, trigram) keys of a report''s folded text, word-boundary trigrams left out (migration 0020)'""",
    """
CREATE OR REPLACE FUNCTION report_search_pattern_keys(commune integer, pattern text) RETURNS bigint[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ARRAY(
    SELECT (commune::bigint << 24) | {code}
    FROM unnest({trgm}.show_trgm(pattern)) g
    WHERE g NOT IN (
      SELECT unnest({trgm}.show_trgm(substr(pattern, i, 2))) FROM generate_series(1, length(pattern)) i))
$$""",
    """
COMMENT ON FUNCTION report_search_pattern_keys(integer, text) IS
  'The keys every text containing the pattern has: its trigrams less those touching a word boundary (0020)'""",
)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    trgm = bind.scalar(sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"))
    for statement in FUNCTIONS:
        op.execute(statement.format(code=TRIGRAM_CODE, trgm=trgm))
    with op.get_context().autocommit_block():
        op.create_index(
            NAME,
            "report",
            [sa.text("report_search_keys(commune_id, search_text)")],
            postgresql_using="gin",
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.drop_index(OLD, "report", postgresql_concurrently=True, if_exists=True)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    with op.get_context().autocommit_block():
        op.create_index(
            OLD,
            "report",
            ["commune_id", sa.text("search_text gin_trgm_ops")],
            postgresql_using="gin",
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        op.drop_index(NAME, "report", postgresql_concurrently=True, if_exists=True)
    op.execute("DROP FUNCTION IF EXISTS report_search_pattern_keys(integer, text)")
    op.execute("DROP FUNCTION IF EXISTS report_search_keys(integer, text)")
