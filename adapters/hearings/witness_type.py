"""``witness_appearances.witness_type``: which sector a witness speaks for, derived by rule.

The API gives no type, only ``organization`` and ``position``. The earlier system's web app
filters and badges witnesses by ``Government``, ``Academic``, ``Nonprofit`` and ``Private``
(its column has no CHECK; those four are the values its pages colour). The rule:

1. The organisation is matched against the patterns below, in this order; the first match
   wins. Matching is on the casefolded text, by whole words.
2. When the organisation matches nothing (or is empty), the position is tried: first the
   same patterns (a position often names the body, "Commander, U.S. Southern Command"),
   then the position titles that only a public office holds ("Member of Congress",
   "Secretary of State", "Commissioner", "Ambassador") and "Professor". A position that
   starts with "Former" is not used: a former official testifies for themself.
3. A witness the rule cannot place stays ``NULL`` (no guess: the earlier system's own
   inference called everything unmatched ``Private``).

==========  ==============================================================  ===================================
type        organisation (or position) matches                              real examples from the sample
==========  ==============================================================  ===================================
Government  "National Science Foundation", "National Institutes of ...",    National Institutes of Health
            "National Laboratory" (before the Nonprofit words they hold)
Nonprofit   chamber of commerce, foundation, legion, veterans of foreign    U.S. Chamber of Commerce;
            wars, disabled american veterans (before the Government words   The Heritage Foundation;
            some of them hold: "U.S.", "Government", "American")            Foundation for Government
                                                                            Accountability; The American Legion
Academic    university, college, school of, law school, polytechnic,        Stanford University;
            institute of technology                                         Georgetown University
Government  department of, U.S., United States, federal, agency, bureau,   U.S. Government Accountability
            administration, commission, office of, house of                 Office; Department of the Navy;
            representatives, senate, congress(ional), army, navy, air      Federal Aviation Administration;
            force, marine corps, space force, coast guard, national guard,  House of Representatives;
            command, state of, city of, county, commonwealth of, district   District of Columbia;
            of columbia, police, sheriff, public schools, embassy,          State of Louisiana
            ministry, government
Nonprofit   institute, center/centre, council, association, society,       American Enterprise Institute;
            coalition, alliance, league, trust, fund, project, union,       Bipartisan Policy Center; Pipeline
            federation, network, partnership, forum, initiative,            Safety Trust; Liquid Energy
            advocates, action                                               Pipeline Association
Private     inc, llc, corp(oration), company, co., ltd, llp, lp, pllc,     (company names: "... Inc.",
            holdings, bank, technologies, partners, capital, group,         "... LLC", "... Corporation")
            consulting, industries, airlines, enterprises
Government  position only: member of congress, secretary (of), governor,    Member of Congress; Idaho Secretary
            mayor, senator, representative, commissioner, ambassador,       of State; Commissioner of Social
            attorney general, inspector general, commandant, chief of       Security; United States Trade
            (naval|space) operations, deputy chief of staff, prime          Representative
            minister, judge
Academic    position only: professor                                        Koch Distinguished Professor in Law
==========  ==============================================================  ===================================
"""

from __future__ import annotations

import re

__all__ = ["WITNESS_TYPES", "witness_type"]

WITNESS_TYPES = ("Government", "Academic", "Nonprofit", "Private")


def _words(*patterns: str) -> re.Pattern[str]:
    # not ``\b``: several patterns end in a full stop ("u.s.", "inc.")
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)")


_ORGANISATION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "Government",
        _words(r"national science foundation", r"national institutes? of", r"national lab[a-z]*tor(?:y|ies)"),
    ),
    (
        "Nonprofit",
        _words(
            r"chambers? of commerce",
            r"foundation",
            r"legion",
            r"veterans of foreign wars",
            r"disabled american veterans",
        ),
    ),
    (
        "Academic",
        _words(
            r"universit(?:y|ies)", r"college", r"school of", r"law school", r"polytechnic", r"institute of technology"
        ),
    ),
    (
        "Government",
        _words(
            r"departments? of",
            r"dept\. of",
            r"u\.\s?s\.",
            r"united states",
            r"federal",
            r"agency",
            r"bureau",
            r"administration",
            r"commission",
            r"office of",
            r"house of representatives",
            r"senate",
            r"congress(?:ional)?",
            r"army",
            r"navy",
            r"air force",
            r"marine corps",
            r"space force",
            r"coast guard",
            r"national guard",
            r"command",
            r"state of",
            r"city of",
            r"county",
            r"commonwealth of",
            r"district of columbia",
            r"police",
            r"sheriff'?s?",
            r"public schools",
            r"embassy",
            r"ministry",
            r"government",
            r"office",
            r"tribes?",
            r"nation",
            r"band of",
            r"indian community",
            r"pueblo",
            r"patrol",
            r"courts?",
        ),
    ),  # fmt: skip
    (
        "Nonprofit",
        _words(
            r"institute",
            r"cent(?:er|re)",
            r"council",
            r"associations?",
            r"society",
            r"coalition",
            r"alliance",
            r"league",
            r"trust",
            r"fund",
            r"project",
            r"union",
            r"federation",
            r"network",
            r"partnership",
            r"forum",
            r"initiative",
            r"advocates",
            r"action",
            r"institution",
            r"committee",
            r"organization",
            r"veterans",
            r"bankers",
            r"afl-cio",
            r"local \d+",
            r"academy of",
            r"citizens for",
        ),
    ),  # fmt: skip
    (
        "Private",
        _words(
            r"inc\.?",
            r"llc",
            r"l\.l\.c\.",
            r"corp\.?",
            r"corporation",
            r"company",
            r"co\.",
            r"ltd\.?",
            r"llp",
            r"lp",
            r"pllc",
            r"holdings",
            r"bank",
            r"technologies",
            r"partners",
            r"capital",
            r"group",
            r"consulting",
            r"industries",
            r"airlines",
            r"enterprises",
            r"incorporated",
            r"farms?",
            r"construction",
        ),
    ),  # fmt: skip
)

_POSITION_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "Government",
        _words(
            r"member of congress",
            r"secretary",
            r"governor",
            r"mayor",
            r"senator",
            r"representative",
            r"commissioner",
            r"ambassador",
            r"attorney general",
            r"inspector general",
            r"commandant",
            r"chief of (?:naval|space) operations",
            r"deputy chief of staff",
            r"prime minister",
            r"judge",
        ),
    ),  # fmt: skip
    ("Academic", _words(r"professor")),
)


def _first(text: str, rules: tuple[tuple[str, re.Pattern[str]], ...]) -> str | None:
    for kind, pattern in rules:
        if pattern.search(text):
            return kind
    return None


def witness_type(organization: str | None, position: str | None) -> str | None:
    """The witness's sector by the rule of this module, or ``None`` when it cannot be placed."""
    org = " ".join((organization or "").split()).casefold()
    if org:
        found = _first(org, _ORGANISATION_RULES)
        if found:
            return found
    pos = " ".join((position or "").split()).casefold()
    if not pos or pos.startswith("former"):
        return None
    return _first(pos, _ORGANISATION_RULES) or _first(pos, _POSITION_RULES)
