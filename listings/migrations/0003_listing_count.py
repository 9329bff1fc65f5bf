"""The listings' counts per shop, marketplace and status (ListingCount), kept by triggers on
listings_listing (and on accounts_account, should an account change marketplace), then filled
from the listings already there. PostgreSQL and SQLite (the demo) each get their own triggers
around one upsert."""

import django.db.models.deletion
from django.db import migrations, models

COUNTS = "listings_listingcount"

# Rows (shop_id, marketplace, status, d) added to the counts in one statement, whose ORDER BY
# has concurrent writers lock the count rows in one order: no deadlock between a push moving
# pending to live and an update moving live to pending. A decrement never creates a row: a
# shop's deletion removes its counts first (a fast delete), then its listings. An unknown
# marketplace (a listing whose account is gone) is proposed as NULL and refused by NOT NULL:
# no count is lost in silence. `total` has no CHECK (>= 0): PostgreSQL checks the proposed row,
# a decrement's negative one, before it finds the conflict. "WHERE true": SQLite parses an
# upsert after a SELECT only with a WHERE.
APPLY = f"""
INSERT INTO {COUNTS} (shop_id, marketplace, status, total)
SELECT shop_id, marketplace, status, SUM(d) FROM ({{changes}}) AS ch WHERE true
 GROUP BY shop_id, marketplace, status
HAVING SUM(d) > 0 OR marketplace IS NULL OR (SUM(d) < 0 AND EXISTS (
       SELECT 1 FROM {COUNTS} x WHERE x.shop_id = ch.shop_id
          AND x.marketplace = ch.marketplace AND x.status = ch.status))
 ORDER BY shop_id, marketplace, status
    ON CONFLICT (shop_id, marketplace, status)
    DO UPDATE SET total = {COUNTS}.total + excluded.total;
"""

# Listing rows (shop_id, account_id, status, d) netted per account first, so an UPDATE that
# changed no status or account looks no marketplace up.
BY_ACCOUNT = """
SELECT shop_id, (SELECT marketplace FROM accounts_account WHERE id = account_id) AS marketplace,
       status, d
  FROM (SELECT shop_id, account_id, status, SUM(d) AS d FROM ({rows}) AS r
         GROUP BY shop_id, account_id, status) AS per_account
 WHERE d <> 0
"""

# An account moved to another marketplace takes its listings' counts along.
MOVED_ACCOUNT = """
SELECT shop_id, NEW.marketplace AS marketplace, status, 1 AS d
  FROM listings_listing WHERE account_id = NEW.id
UNION ALL
SELECT shop_id, OLD.marketplace, status, -1 FROM listings_listing WHERE account_id = NEW.id
"""


def listing_changes(*sources: tuple[str, int, str]) -> str:
    """APPLY for listing rows: each source is (row alias, +1 or -1, FROM clause)."""
    rows = " UNION ALL ".join(
        f"SELECT {alias}.shop_id AS shop_id, {alias}.account_id AS account_id, "
        f"{alias}.status AS status, {sign} AS d {source}"
        for alias, sign, source in sources
    )
    return APPLY.format(changes=BY_ACCOUNT.format(rows=rows))


NEW_TABLE, OLD_TABLE = ("n", 1, "FROM new_rows n"), ("o", -1, "FROM old_rows o")

# PostgreSQL: statement-level triggers with transition tables, so a bulk_create or a bulk
# update costs one upsert, not one per row.
POSTGRESQL = [
    f"""CREATE FUNCTION listing_count_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN {listing_changes(NEW_TABLE)}
  ELSIF TG_OP = 'DELETE' THEN {listing_changes(OLD_TABLE)}
  ELSE {listing_changes(NEW_TABLE, OLD_TABLE)}
  END IF;
  RETURN NULL;
END $$""",
    """CREATE TRIGGER listing_count_insert AFTER INSERT ON listings_listing
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION listing_count_follow()""",
    """CREATE TRIGGER listing_count_delete AFTER DELETE ON listings_listing
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION listing_count_follow()""",
    """CREATE TRIGGER listing_count_update AFTER UPDATE ON listings_listing
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION listing_count_follow()""",
    f"""CREATE FUNCTION listing_count_move_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {APPLY.format(changes=MOVED_ACCOUNT)} RETURN NULL; END $$""",
    """CREATE TRIGGER listing_count_account_moved AFTER UPDATE OF marketplace ON accounts_account
  FOR EACH ROW WHEN (OLD.marketplace IS DISTINCT FROM NEW.marketplace)
  EXECUTE FUNCTION listing_count_move_account()""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER listing_count_account_moved ON accounts_account",
    "DROP FUNCTION listing_count_move_account()",
    "DROP TRIGGER listing_count_insert ON listings_listing",
    "DROP TRIGGER listing_count_delete ON listings_listing",
    "DROP TRIGGER listing_count_update ON listings_listing",
    "DROP FUNCTION listing_count_follow()",
]

# SQLite: row-level triggers (one writer at a time: no lock order to keep).
NEW_ROW, OLD_ROW = ("NEW", 1, ""), ("OLD", -1, "")
SQLITE = [
    f"""CREATE TRIGGER listing_count_insert AFTER INSERT ON listings_listing
BEGIN {listing_changes(NEW_ROW)} END""",
    f"""CREATE TRIGGER listing_count_delete AFTER DELETE ON listings_listing
BEGIN {listing_changes(OLD_ROW)} END""",
    f"""CREATE TRIGGER listing_count_update AFTER UPDATE OF shop_id, account_id, status
  ON listings_listing
BEGIN {listing_changes(NEW_ROW, OLD_ROW)} END""",
    f"""CREATE TRIGGER listing_count_account_moved AFTER UPDATE OF marketplace ON accounts_account
  WHEN OLD.marketplace IS NOT NEW.marketplace
BEGIN {APPLY.format(changes=MOVED_ACCOUNT)} END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER listing_count_account_moved",
    "DROP TRIGGER listing_count_insert",
    "DROP TRIGGER listing_count_delete",
    "DROP TRIGGER listing_count_update",
]

BACKFILL = f"""
INSERT INTO {COUNTS} (shop_id, marketplace, status, total)
SELECT l.shop_id, a.marketplace, l.status, COUNT(*)
  FROM listings_listing l JOIN accounts_account a ON a.id = l.account_id
 GROUP BY l.shop_id, a.marketplace, l.status
"""


def _run(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)  # no params: no %-interpolation


def add_triggers(apps, schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    _run(schema_editor, [*(POSTGRESQL if postgresql else SQLITE), BACKFILL])


def drop_triggers(apps, schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    _run(schema_editor, POSTGRESQL_REVERSE if postgresql else SQLITE_REVERSE)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_account_version'),
        ('listings', '0002_listing_counter_idx'),
        ('salestio', '0004_shop_iana_timezone'),
    ]

    operations = [
        migrations.CreateModel(
            name='ListingCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('marketplace', models.CharField(choices=[('amazon', 'Amazon'), ('ebay', 'eBay'), ('etsy', 'Etsy')], max_length=16)),
                ('status', models.CharField(choices=[('live', 'Live'), ('pending', 'Pending'), ('update_error', 'Update Error'), ('not_linked', 'Not linked'), ('not_active', 'Not active')], max_length=16)),
                ('total', models.IntegerField(default=0)),
                ('shop', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='salestio.shop')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('shop', 'marketplace', 'status'), name='listing_count_once')],
            },
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
