"""Referrals: an adviser asks up to three centres at once, a centre answers, the first yes wins.

A referral is pending until it is placed (a centre accepted), withdrawn (the adviser ended it)
or expired (no centre took the party in time); each asked centre has a request that is pending
until it is accepted, declined (with a reason), withdrawn (no longer needed) or expired. Every
request keeps a hold (capacity.holds) on the centre's places while it is pending.

First wins: accepting is one conditional UPDATE of the referral row `WHERE status = 'pending'`,
so of two centres accepting at the same moment exactly one changes it (on SQLite writers queue
for the database, on PostgreSQL the second waits for the row and then finds it placed). Every
change to a referral takes that row first, which keeps the lock order the same everywhere.

What is stored: the party's shape (gender, adults, children's ages, needs), the language, the
arrival window, and while the referral is pending, the adviser's callback line and a short
note. The callback line, the note and any declining centre's free text are deleted (set NULL)
when the referral ends, placed, expired or withdrawn, and a database CHECK refuses an ended
referral that still has them. None of them is ever written to the audit trail.

The modules: `draft` (what an adviser writes, and its checks), `sending` (send, add_centre,
withdraw), `answering` (accept, decline), `expiry` (expire_due) and `rows` (the referral row
taken first, and ending requests and holds, which all of them share).
"""

from capacity.referrals.answering import (
    ANSWER_MINUTES,
    GRACE_MINUTES,
    MAX_REASON_TEXT,
    accept,
    decline,
)
from capacity.referrals.draft import (
    MAX_AHEAD,
    MAX_NOTE,
    Draft,
    check_text,
    has_personal_number,
    parse_callback,
    parse_language,
    party_of,
    party_record,
)
from capacity.referrals.expiry import expire_due
from capacity.referrals.rows import referral_record, request_record
from capacity.referrals.sending import AT_ONCE, MAX_ASKED, add_centre, send, withdraw

__all__ = [
    "ANSWER_MINUTES",
    "AT_ONCE",
    "GRACE_MINUTES",
    "MAX_AHEAD",
    "MAX_ASKED",
    "MAX_NOTE",
    "MAX_REASON_TEXT",
    "Draft",
    "accept",
    "add_centre",
    "check_text",
    "decline",
    "expire_due",
    "has_personal_number",
    "parse_callback",
    "parse_language",
    "party_of",
    "party_record",
    "referral_record",
    "request_record",
    "send",
    "withdraw",
]
