"""The earlier system's schema: create it on a new database, use an existing one as it is.

:func:`ensure_schema` creates, on an empty database, the full schema of the real earlier
database (``hearings-119-until-2025-08-31.db``) statement for statement, its DDL text
copied verbatim from that database's ``sqlite_master`` (so ``hearing_date_only`` and
``hearing_time`` sit where its ``ALTER TABLE`` put them, and no ``ON DELETE CASCADE``).
On a database that already has the schema it changes nothing destructive: it only adds
what is missing (those two columns, and indexes with ``CREATE INDEX IF NOT EXISTS`` on every
child table's foreign-key column, which undo and link replacement need, plus one on
``witnesses(full_name COLLATE NOCASE)`` for the witness lookup), and on both the additive
tables of ``schema_related`` (treaties, nominations, continuations).

A database holding other tables and no ``hearings(event_id)`` raises
:class:`SchemaMismatch`. Tables named ``sqlite_*`` and ``sqlbatch_*`` (the journal) do not
make a database non-empty.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Literal

from .schema_related import ensure_related_tables
from .schema_types import Executes

__all__ = [
    "COMMITTEE_CONGRESS",
    "Executes",
    "SchemaMismatch",
    "ensure_schema",
    "is_hearings_schema",
    "load_bundled_committees",
    "schema_problems",
    "seed_committees",
]


class SchemaMismatch(RuntimeError):
    """The database has tables, but not the hearings schema this updater writes."""


# -- the earlier database's DDL, verbatim (sqlite_master.sql, creation order) -----------

_TABLES: tuple[str, ...] = (
    """CREATE TABLE committees (
    committee_id INTEGER PRIMARY KEY AUTOINCREMENT,
    system_code TEXT NOT NULL UNIQUE,        -- API unique identifier (e.g., "hsif00")
    name TEXT NOT NULL,                       -- Full committee name
    chamber TEXT NOT NULL,                    -- House, Senate, Joint
    type TEXT NOT NULL,                       -- Standing, Select, Special, Joint, etc.
    parent_committee_id INTEGER,              -- NULL for full committees, FK for subcommittees
    is_current BOOLEAN NOT NULL DEFAULT 1,
    url TEXT,                                 -- API reference URL
    congress INTEGER NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (parent_committee_id) REFERENCES committees(committee_id),
    CHECK (chamber IN ('House', 'Senate', 'Joint', 'NoChamber')),
    CHECK (type IN ('Standing', 'Select', 'Special', 'Joint', 'Task Force',
                    'Other', 'Subcommittee', 'Commission or Caucus'))
)""",
    """CREATE TABLE members (
    member_id INTEGER PRIMARY KEY AUTOINCREMENT,
    bioguide_id TEXT NOT NULL UNIQUE,         -- Unique identifier from Biographical Directory
    first_name TEXT NOT NULL,
    middle_name TEXT,
    last_name TEXT NOT NULL,
    full_name TEXT NOT NULL,
    party TEXT NOT NULL,                      -- D, R, I, etc.
    state TEXT NOT NULL,                      -- Two-letter state code
    district INTEGER,                         -- NULL for Senators
    birth_year INTEGER,
    current_member BOOLEAN NOT NULL DEFAULT 1,
    honorific_prefix TEXT,                    -- Mr., Mrs., Ms., Dr., etc.
    official_url TEXT,
    office_address TEXT,
    phone TEXT,
    terms_served INTEGER,
    congress INTEGER NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    CHECK (party IN ('D', 'R', 'I', 'ID', 'L', 'Unknown'))
)""",
    """CREATE TABLE member_leadership_positions (
    position_id INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id INTEGER NOT NULL,
    title TEXT NOT NULL,                      -- Speaker, Majority Leader, Whip, etc.
    congress INTEGER NOT NULL,
    is_current BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (member_id) REFERENCES members(member_id),
    UNIQUE(member_id, title, congress)
)""",
    """CREATE TABLE policy_areas (
    policy_area_id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,                -- Healthcare, Immigration, Tax Policy, etc.
    description TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)""",
    """CREATE TABLE committee_jurisdictions (
    committee_id INTEGER NOT NULL,
    policy_area_id INTEGER NOT NULL,
    is_primary BOOLEAN NOT NULL DEFAULT 1,    -- Primary vs secondary jurisdiction
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY (committee_id, policy_area_id),
    FOREIGN KEY (committee_id) REFERENCES committees(committee_id),
    FOREIGN KEY (policy_area_id) REFERENCES policy_areas(policy_area_id)
)""",
    """CREATE TABLE committee_memberships (
    membership_id INTEGER PRIMARY KEY AUTOINCREMENT,
    committee_id INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    role TEXT NOT NULL,                       -- Chair, Ranking Member, Vice Chair, Member
    congress INTEGER NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT 1,     -- Track departures/membership changes
    start_date DATE,
    end_date DATE,                            -- NULL if still active
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (committee_id) REFERENCES committees(committee_id),
    FOREIGN KEY (member_id) REFERENCES members(member_id),
    CHECK (role IN ('Chair', 'Ranking Member', 'Vice Chair', 'Member')),
    UNIQUE(committee_id, member_id, congress)
)""",
    """CREATE TABLE hearings (
    hearing_id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,            -- API event identifier
    congress INTEGER NOT NULL,
    chamber TEXT NOT NULL,                    -- House, Senate, NoChamber
    title TEXT NOT NULL,
    hearing_type TEXT NOT NULL,               -- Hearing, Meeting, Markup
    status TEXT NOT NULL,                     -- Scheduled, Canceled, Postponed, Rescheduled
    hearing_date DATE,
    location TEXT,
    jacket_number TEXT,                       -- Links to transcript (5-digit number)
    url TEXT,                                 -- API reference URL
    congress_gov_url TEXT,                    -- Public Congress.gov URL
    update_date TIMESTAMP,                    -- From API - for sync tracking
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, hearing_date_only DATE, hearing_time TIME,

    CHECK (chamber IN ('House', 'Senate', 'NoChamber')),
    CHECK (hearing_type IN ('Hearing', 'Meeting', 'Markup')),
    CHECK (status IN ('Scheduled', 'Canceled', 'Postponed', 'Rescheduled'))
)""",
    """CREATE TABLE hearing_committees (
    hearing_id INTEGER NOT NULL,
    committee_id INTEGER NOT NULL,
    is_primary BOOLEAN NOT NULL DEFAULT 1,    -- Primary committee vs participating
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY (hearing_id, committee_id),
    FOREIGN KEY (hearing_id) REFERENCES hearings(hearing_id),
    FOREIGN KEY (committee_id) REFERENCES committees(committee_id)
)""",
    """CREATE TABLE bills (
    bill_id INTEGER PRIMARY KEY AUTOINCREMENT,
    congress INTEGER NOT NULL,
    bill_type TEXT NOT NULL,                  -- HR, S, HJRES, SJRES, HCONRES, SCONRES, HRES, SRES
    bill_number INTEGER NOT NULL,
    title TEXT,
    url TEXT,                                 -- API reference URL
    introduced_date DATE,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    CHECK (bill_type IN ('HR', 'S', 'HJRES', 'SJRES', 'HCONRES', 'SCONRES', 'HRES', 'SRES')),
    UNIQUE(congress, bill_type, bill_number)
)""",
    """CREATE TABLE hearing_bills (
    hearing_bill_id INTEGER PRIMARY KEY AUTOINCREMENT,
    hearing_id INTEGER NOT NULL,
    bill_id INTEGER NOT NULL,
    relationship_type TEXT NOT NULL,          -- primary_subject, mentioned, markup, related, theoretical
    notes TEXT,                               -- For future context/classification
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (hearing_id) REFERENCES hearings(hearing_id),
    FOREIGN KEY (bill_id) REFERENCES bills(bill_id),
    CHECK (relationship_type IN ('primary_subject', 'mentioned', 'markup',
                                   'related', 'theoretical')),
    UNIQUE(hearing_id, bill_id)
)""",  # noqa: E501
    """CREATE TABLE witnesses (
    witness_id INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name TEXT,
    last_name TEXT,
    full_name TEXT NOT NULL,
    title TEXT,                               -- Professional title
    organization TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
)""",
    """CREATE TABLE witness_appearances (
    appearance_id INTEGER PRIMARY KEY AUTOINCREMENT,
    witness_id INTEGER NOT NULL,
    hearing_id INTEGER NOT NULL,
    position TEXT,                            -- Position at time of testimony (Director, CEO, etc.)
    witness_type TEXT,                        -- Government, Private, Academic, etc.
    appearance_order INTEGER,                 -- Sequence/panel order in hearing
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (witness_id) REFERENCES witnesses(witness_id),
    FOREIGN KEY (hearing_id) REFERENCES hearings(hearing_id),
    UNIQUE(witness_id, hearing_id)
)""",
    """CREATE TABLE hearing_transcripts (
    transcript_id INTEGER PRIMARY KEY AUTOINCREMENT,
    hearing_id INTEGER NOT NULL,
    jacket_number TEXT,                       -- 5-digit identifier
    title TEXT,
    document_url TEXT,                        -- Congress.gov document page
    pdf_url TEXT,                             -- Direct PDF link
    html_url TEXT,                            -- HTML version if available
    format_type TEXT,                         -- PDF, HTML, Text
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (hearing_id) REFERENCES hearings(hearing_id)
)""",
    """CREATE TABLE witness_documents (
    document_id INTEGER PRIMARY KEY AUTOINCREMENT,
    appearance_id INTEGER NOT NULL,           -- Links to specific witness appearance
    document_type TEXT NOT NULL,              -- Statement, Biography, Truth Statement, Questions for Record, Supplemental
    title TEXT,
    document_url TEXT,
    format_type TEXT,                         -- PDF, HTML, Text
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (appearance_id) REFERENCES witness_appearances(appearance_id),
    CHECK (document_type IN ('Statement', 'Biography', 'Truth Statement',
                              'Questions for Record', 'Supplemental'))
)""",  # noqa: E501
    """CREATE TABLE supporting_documents (
    document_id INTEGER PRIMARY KEY AUTOINCREMENT,
    hearing_id INTEGER NOT NULL,
    document_type TEXT NOT NULL,              -- Activity Report, Committee Rules, Member Statements, etc.
    title TEXT,
    description TEXT,
    document_url TEXT,
    format_type TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (hearing_id) REFERENCES hearings(hearing_id)
)""",  # noqa: E501
    """CREATE TABLE sync_tracking (
    sync_id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_type TEXT NOT NULL,                -- hearings, committees, members, bills
    last_sync_timestamp TIMESTAMP NOT NULL,
    records_processed INTEGER,
    errors_count INTEGER,
    status TEXT NOT NULL,                     -- success, partial, failed
    notes TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    CHECK (entity_type IN ('committees', 'members', 'hearings', 'bills', 'documents')),
    CHECK (status IN ('success', 'partial', 'failed'))
)""",
    """CREATE TABLE import_errors (
    error_id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_type TEXT NOT NULL,
    entity_identifier TEXT,                   -- API reference or ID
    error_type TEXT NOT NULL,                 -- validation, api_error, parse_error
    error_message TEXT NOT NULL,
    severity TEXT NOT NULL,                   -- critical, warning
    is_resolved BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    CHECK (error_type IN ('validation', 'api_error', 'parse_error', 'network_error')),
    CHECK (severity IN ('critical', 'warning'))
)""",
)
_INDEXES: tuple[str, ...] = (
    "CREATE INDEX idx_committees_chamber ON committees(chamber)",
    "CREATE INDEX idx_committees_parent ON committees(parent_committee_id)",
    "CREATE INDEX idx_committees_congress ON committees(congress)",
    "CREATE INDEX idx_committees_system_code ON committees(system_code)",
    "CREATE INDEX idx_members_bioguide ON members(bioguide_id)",
    "CREATE INDEX idx_members_state ON members(state)",
    "CREATE INDEX idx_members_party ON members(party)",
    "CREATE INDEX idx_members_current ON members(current_member)",
    "CREATE INDEX idx_members_congress ON members(congress)",
    "CREATE INDEX idx_leadership_member ON member_leadership_positions(member_id)",
    "CREATE INDEX idx_leadership_congress ON member_leadership_positions(congress)",
    "CREATE INDEX idx_jurisdictions_committee ON committee_jurisdictions(committee_id)",
    "CREATE INDEX idx_jurisdictions_policy ON committee_jurisdictions(policy_area_id)",
    "CREATE INDEX idx_memberships_committee ON committee_memberships(committee_id)",
    "CREATE INDEX idx_memberships_member ON committee_memberships(member_id)",
    "CREATE INDEX idx_memberships_role ON committee_memberships(role)",
    "CREATE INDEX idx_memberships_active ON committee_memberships(is_active)",
    "CREATE INDEX idx_hearings_congress ON hearings(congress)",
    "CREATE INDEX idx_hearings_chamber ON hearings(chamber)",
    "CREATE INDEX idx_hearings_date ON hearings(hearing_date)",
    "CREATE INDEX idx_hearings_status ON hearings(status)",
    "CREATE INDEX idx_hearings_update_date ON hearings(update_date)",
    "CREATE INDEX idx_hearings_jacket ON hearings(jacket_number)",
    "CREATE INDEX idx_hearing_committees_hearing ON hearing_committees(hearing_id)",
    "CREATE INDEX idx_hearing_committees_committee ON hearing_committees(committee_id)",
    "CREATE INDEX idx_bills_congress ON bills(congress)",
    "CREATE INDEX idx_bills_type ON bills(bill_type)",
    "CREATE INDEX idx_bills_number ON bills(bill_number)",
    "CREATE INDEX idx_hearing_bills_hearing ON hearing_bills(hearing_id)",
    "CREATE INDEX idx_hearing_bills_bill ON hearing_bills(bill_id)",
    "CREATE INDEX idx_hearing_bills_type ON hearing_bills(relationship_type)",
    "CREATE INDEX idx_witnesses_name ON witnesses(last_name, first_name)",
    "CREATE INDEX idx_witnesses_org ON witnesses(organization)",
    "CREATE INDEX idx_appearances_witness ON witness_appearances(witness_id)",
    "CREATE INDEX idx_appearances_hearing ON witness_appearances(hearing_id)",
    "CREATE INDEX idx_transcripts_hearing ON hearing_transcripts(hearing_id)",
    "CREATE INDEX idx_transcripts_jacket ON hearing_transcripts(jacket_number)",
    "CREATE INDEX idx_witness_docs_appearance ON witness_documents(appearance_id)",
    "CREATE INDEX idx_witness_docs_type ON witness_documents(document_type)",
    "CREATE INDEX idx_supporting_docs_hearing ON supporting_documents(hearing_id)",
    "CREATE INDEX idx_supporting_docs_type ON supporting_documents(document_type)",
    "CREATE INDEX idx_sync_entity ON sync_tracking(entity_type)",
    "CREATE INDEX idx_sync_timestamp ON sync_tracking(last_sync_timestamp)",
    "CREATE INDEX idx_errors_entity ON import_errors(entity_type)",
    "CREATE INDEX idx_errors_severity ON import_errors(severity)",
    "CREATE INDEX idx_errors_resolved ON import_errors(is_resolved)",
)

# Indexes on every child table's foreign-key column (undo and link replacement look rows up
# by them), named as the earlier database names them so that there they already exist.
_ADDITIVE_INDEXES: tuple[str, ...] = (
    "CREATE INDEX IF NOT EXISTS idx_committees_parent ON committees(parent_committee_id)",
    "CREATE INDEX IF NOT EXISTS idx_hearing_committees_hearing ON hearing_committees(hearing_id)",
    "CREATE INDEX IF NOT EXISTS idx_hearing_committees_committee ON hearing_committees(committee_id)",
    "CREATE INDEX IF NOT EXISTS idx_appearances_witness ON witness_appearances(witness_id)",
    "CREATE INDEX IF NOT EXISTS idx_appearances_hearing ON witness_appearances(hearing_id)",
    "CREATE INDEX IF NOT EXISTS idx_witness_docs_appearance ON witness_documents(appearance_id)",
    "CREATE INDEX IF NOT EXISTS idx_supporting_docs_hearing ON supporting_documents(hearing_id)",
    "CREATE INDEX IF NOT EXISTS idx_transcripts_hearing ON hearing_transcripts(hearing_id)",
    "CREATE INDEX IF NOT EXISTS idx_hearing_bills_hearing ON hearing_bills(hearing_id)",
    "CREATE INDEX IF NOT EXISTS idx_hearing_bills_bill ON hearing_bills(bill_id)",
    "CREATE INDEX IF NOT EXISTS idx_jurisdictions_committee ON committee_jurisdictions(committee_id)",
    "CREATE INDEX IF NOT EXISTS idx_jurisdictions_policy ON committee_jurisdictions(policy_area_id)",
    "CREATE INDEX IF NOT EXISTS idx_memberships_committee ON committee_memberships(committee_id)",
    "CREATE INDEX IF NOT EXISTS idx_memberships_member ON committee_memberships(member_id)",
    "CREATE INDEX IF NOT EXISTS idx_leadership_member ON member_leadership_positions(member_id)",
    # the store's witness lookup (new; additive)
    "CREATE INDEX IF NOT EXISTS idx_witnesses_full_name ON witnesses(full_name COLLATE NOCASE)",
)

# Columns a later version of the earlier system added with ALTER TABLE.
_ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("hearings", "hearing_date_only", "DATE"),
    ("hearings", "hearing_time", "TIME"),
)

# What the store reads and writes; a database lacking any of it is not usable.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "hearings": (
        "hearing_id", "event_id", "congress", "chamber", "title", "hearing_type", "status",
        "hearing_date", "location", "jacket_number", "url", "update_date", "updated_at",
    ),
    "committees": (
        "committee_id", "system_code", "name", "chamber", "type", "parent_committee_id",
        "is_current", "url", "congress", "updated_at",
    ),
    "hearing_committees": ("hearing_id", "committee_id", "is_primary"),
    "witnesses": ("witness_id", "first_name", "last_name", "full_name", "title", "organization"),
    "witness_appearances": (
        "appearance_id", "witness_id", "hearing_id", "position", "appearance_order",
    ),
    "witness_documents": (
        "document_id", "appearance_id", "document_type", "title", "document_url", "format_type",
    ),
    "supporting_documents": (
        "document_id", "hearing_id", "document_type", "title", "description", "document_url",
        "format_type",
    ),
    "hearing_transcripts": ("transcript_id", "hearing_id", "jacket_number", "title", "document_url"),
}  # fmt: skip

COMMITTEE_CONGRESS = 118
"""The ``congress`` the earlier database records for every committee (its list is the
118th Congress's)."""

COMMITTEE_TYPES = frozenset(
    {"Standing", "Select", "Special", "Joint", "Task Force", "Other", "Subcommittee",
     "Commission or Caucus"}
)  # fmt: skip
COMMITTEE_CHAMBERS = frozenset({"House", "Senate", "Joint", "NoChamber"})


def _rows(conn: Executes, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(sql, params)]


def _user_tables(conn: Executes) -> set[str]:
    names = _rows(conn, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in names if not name.startswith("sqlite_") and not name.startswith("sqlbatch_")}


def _columns(conn: Executes, table: str) -> set[str]:
    return {name for (name,) in _rows(conn, "SELECT name FROM pragma_table_info(?)", (table,))}


def schema_problems(conn: Executes) -> list[str]:
    """What this database lacks of the hearings schema (empty list: usable)."""
    tables = _user_tables(conn)
    problems = []
    for table, needed in REQUIRED_COLUMNS.items():
        if table not in tables:
            problems.append(f"table {table} is missing")
            continue
        missing = [c for c in needed if c not in _columns(conn, table)]
        if missing:
            problems.append(f"table {table} lacks column(s) {', '.join(missing)}")
    return problems


def is_hearings_schema(conn: Executes) -> bool:
    """Whether the database holds the hearings schema this updater can write into."""
    return not schema_problems(conn)


def ensure_schema(conn: Executes) -> Literal["created", "existing"]:
    """Create the schema on an empty database; on an existing one only add what is missing.

    Raises :class:`SchemaMismatch` when the database holds other tables. Runs inside a
    savepoint, so it is atomic with or without an open transaction.
    """
    tables = _user_tables(conn)
    if tables and ("hearings" not in tables or "event_id" not in _columns(conn, "hearings")):
        shown = ", ".join(sorted(tables)[:8])
        raise SchemaMismatch(
            f"the database holds other tables ({shown}) and no hearings(event_id) table: "
            "it is not a hearings database; use a new file or the earlier system's database"
        )
    if tables:
        problems = schema_problems(conn)
        if problems:
            raise SchemaMismatch("incomplete hearings schema: " + "; ".join(problems))
    conn.execute("SAVEPOINT hearings_ensure_schema", ())
    try:
        if not tables:
            for statement in (*_TABLES, *_INDEXES):
                conn.execute(statement, ())
        else:
            for table, column, decl in _ADDED_COLUMNS:
                if column not in _columns(conn, table):
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}", ())
        for statement in _ADDITIVE_INDEXES:
            conn.execute(statement, ())
        ensure_related_tables(conn)
    except BaseException:
        conn.execute("ROLLBACK TO hearings_ensure_schema", ())
        conn.execute("RELEASE hearings_ensure_schema", ())
        raise
    conn.execute("RELEASE hearings_ensure_schema", ())
    return "existing" if tables else "created"


# -- committees ----------------------------------------------------------------------------


def load_bundled_committees() -> list[dict[str, Any]]:
    """The committee list bundled with the package (``adapters/hearings/data``)."""
    source = resources.files("adapters.hearings").joinpath("data", "committees.json")
    return json.loads(source.read_text(encoding="utf-8"))


def _parents_first(committees: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order the list so that a committee's parent (when listed) comes before it."""
    by_code = {c["systemCode"]: c for c in committees}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(code: str, trail: tuple[str, ...]) -> None:
        if code in placed:
            return
        if code in trail:
            raise ValueError(f"committee parent cycle: {' -> '.join((*trail, code))}")
        parent = by_code[code].get("parent")
        if parent in by_code:
            place(parent, (*trail, code))
        placed.add(code)
        ordered.append(by_code[code])

    for committee in committees:
        place(committee["systemCode"], ())
    return ordered


_INSERT_COMMITTEE = """
INSERT INTO committees (system_code, name, chamber, type, parent_committee_id, url, congress, is_current)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, 1))
ON CONFLICT(system_code) DO UPDATE SET
    name = ?2, chamber = ?3, type = ?4, parent_committee_id = ?5, url = ?6, congress = ?7,
    is_current = coalesce(?8, committees.is_current), updated_at = CURRENT_TIMESTAMP
"""

# A plain UPDATE for a stored committee: an UPSERT that changes nothing still advances
# the AUTOINCREMENT counter in sqlite_sequence, which would be a write. An unknown
# ``isCurrent`` (None) keeps the stored flag.
_UPDATE_COMMITTEE = """
UPDATE committees SET name = ?2, chamber = ?3, type = ?4, parent_committee_id = ?5, url = ?6,
    congress = ?7, is_current = coalesce(?8, is_current), updated_at = CURRENT_TIMESTAMP
WHERE system_code = ?1 AND (name IS NOT ?2 OR chamber IS NOT ?3 OR type IS NOT ?4
    OR parent_committee_id IS NOT ?5 OR url IS NOT ?6 OR congress IS NOT ?7
    OR (?8 IS NOT NULL AND is_current IS NOT ?8))
RETURNING committee_id
"""


def seed_committees(
    conn: Executes, committees: list[dict[str, Any]], *, congress: int = COMMITTEE_CONGRESS
) -> dict[str, int]:
    """Upsert a committee list (``committees.json`` shape) by ``system_code``.

    ``congress`` is stored on every row: the Congress the list is of (the bundled list is
    the 118th's; a list read from the API is that of ``--congress``). ``isCurrent`` (when
    the row has it, true or false) becomes ``is_current``; without it a new committee is
    current and a stored one keeps its flag. ``parent`` (a system code) becomes
    ``parent_committee_id``; a parent that is neither in
    the list nor in the database raises ``ValueError``. An unknown ``committeeTypeCode``
    is stored as ``Other``. A committee that is already stored identically is not written.
    Atomic (a savepoint): on an error nothing of the list is applied.
    Returns ``{"added": n, "updated": n, "unchanged": n}``.
    """
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    conn.execute("SAVEPOINT hearings_seed_committees", ())
    try:
        for item in _parents_first(committees):
            _seed_one(conn, item, congress, counts)
    except BaseException:
        conn.execute("ROLLBACK TO hearings_seed_committees", ())
        conn.execute("RELEASE hearings_seed_committees", ())
        raise
    conn.execute("RELEASE hearings_seed_committees", ())
    return counts


def _seed_one(conn: Executes, item: dict[str, Any], congress: int, counts: dict[str, int]) -> None:
    """Insert or update one committee, counting the verdict."""
    code = item["systemCode"]
    chamber = item.get("chamber") or "NoChamber"
    if chamber not in COMMITTEE_CHAMBERS:
        raise ValueError(f"committee {code}: chamber {chamber!r} is not allowed")
    kind = item.get("committeeTypeCode") or "Other"
    kind = kind if kind in COMMITTEE_TYPES else "Other"
    parent_id = None
    if item.get("parent"):
        found = _rows(conn, "SELECT committee_id FROM committees WHERE system_code = ?", (item["parent"],))
        if not found:
            raise ValueError(f"committee {code}: parent {item['parent']!r} is unknown")
        parent_id = found[0][0]
    current = item.get("isCurrent")
    values = (
        code,
        item["name"],
        chamber,
        kind,
        parent_id,
        item.get("url"),
        congress,
        None if current is None else int(bool(current)),
    )
    if not _rows(conn, "SELECT 1 FROM committees WHERE system_code = ?", (code,)):
        conn.execute(_INSERT_COMMITTEE, values)
        counts["added"] += 1
    elif _rows(conn, _UPDATE_COMMITTEE, values):
        counts["updated"] += 1
    else:
        counts["unchanged"] += 1
