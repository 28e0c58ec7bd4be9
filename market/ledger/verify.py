"""`flask ledger verify`: check the books and the log from the raw rows.

1. seq runs 1, 2, 3, … without gaps (entry seq is Merkle leaf seq-1);
2. every entry has postings (an audit entry none), they sum to zero and are in the entry's
   commodity;
3. every entry's stored leaf hash equals SHA-256(0x00 || canonical bytes) recomputed from the
   row and its postings (an amount, memo, account or time changed behind the ORM shows here);
4. replaying the entries in order, no care-fund account (pending, available) and no time-bank
   person account and no hours reserve (TIME, minutes) ever goes negative,
   and the replayed balance of every account equals the SQL aggregate the pages show;
5. the log root recomputed from the stored leaf hashes equals every recorded tree head;
6. the care-fund summary table (`ledger_care_sums`, not append-only) equals its recomputation
   from the postings (`sums.recomputed()`, one SQL aggregate);
7. leaf times (created_at, when an entry joined the log) never go back as seq grows;
8. every signed head's Ed25519 signature checks with the log's key, no head recorded after the
   first signed one is unsigned, and signed times never go back as heads grow;
9. every head a witness co-signed, and every head given with --saved-head, is extended by
   today's log (a rewrite with fixed hashes and dropped heads shows here: a LOUD alarm);
10. the books agree with the operational records (`crosscheck.py`): every paid order has its
    sale entry, every succeeded refund its refund entry, every approved disbursement its entry,
    and no entry points at a record that does not exist.

Streams plain rows in batches (no ORM objects) and hashes as it goes: the canonical bytes
are written directly (`canonical.leaf_bytes`), not built as a dict and JSON-encoded.
"""

import hashlib
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from market.ledger import accounts as codes
from market.ledger import crosscheck as crosscheck_module
from market.ledger import merkle, signing
from market.ledger import sums as care_sums
from market.ledger.canonical import leaf_bytes
from market.ledger.service import NOTE_KINDS
from market.ledger.stream import iter_rows, load_accounts
from models import db
from models.ledger import Cosignature, Posting, TreeHead

MAX_PROBLEMS = 50
NEVER_NEGATIVE = frozenset({codes.CARE_PENDING, codes.CARE_AVAILABLE})


@dataclass
class Problem:
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = f"entry seq {self.seq}" if self.seq is not None else "ledger"
        return f"{where}: {self.message}"


@dataclass
class Report:
    entries: int = 0
    postings: int = 0
    heads: int = 0
    root: str = merkle.EMPTY_ROOT.hex()
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        if not self.problems:
            return None
        return min(self.problems, key=lambda p: (p.seq is None, p.seq or 0))

    @property
    def rate(self) -> float:
        return self.entries / self.seconds if self.seconds else 0.0


def verify_ledger(session=None, saved_heads=(), crosscheck: bool = True) -> Report:
    """`saved_heads`: heads someone kept ({size, root, and if signed log_id, timestamp,
    signature}), e.g. a witness's; today's log must extend each. `crosscheck=False` leaves out
    the checks against the operational records (tests of the ledger alone, with invented ids)."""
    session = session or db.session()
    started = time.perf_counter()
    report = Report()
    problems = report.problems

    def problem(seq, message):
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(seq, message))

    accounts = load_accounts(session)
    heads = session.execute(select(TreeHead.size, TreeHead.root).order_by(TreeHead.size, TreeHead.id)).all()
    head_index = 0
    while head_index < len(heads) and heads[head_index][0] == 0:
        if heads[head_index][1] != merkle.EMPTY_ROOT.hex():
            problem(None, "the tree head of size 0 is not the empty root")
        head_index += 1
        report.heads += 1

    commodity_of = {account_id: a[2] for account_id, a in accounts.items()}
    labels = {account_id: a[3] for account_id, a in accounts.items()}
    # Care-fund accounts and the time bank's person accounts (TIME, minutes) never go negative.
    care_ids = {account_id for account_id, a in accounts.items()
                if a[1] in NEVER_NEGATIVE or a[1] == codes.TIME_RESERVE or codes.is_time_person_code(a[1])}
    rng = merkle.CompactRange()
    running: dict[int, int] = defaultdict(int)
    sha256, fromhex = hashlib.sha256, bytes.fromhex
    entries = postings_seen = 0
    expected_seq = 1
    last_good = 0
    last_time = None
    # Roots at the sizes someone vouched for (co-signed or saved heads), filled during the replay.
    vouched = _vouched_heads(session, saved_heads)
    roots_at = {}
    # Plain rows (stream.iter_rows): id, seq, kind, key, memo, home, commodity, occurred,
    # created, order, refund, source type, source id, category, leaf hash.
    for row, postings in iter_rows(session):
        entries += 1
        seq = row[1]
        if seq != expected_seq:
            problem(seq, f"seq {expected_seq} is missing: the log has a gap")
            expected_seq = seq
        expected_seq += 1
        if last_time is not None and row[8] < last_time:
            problem(seq, "its leaf time is earlier than the previous entry's: times were changed")
        last_time = row[8]
        postings_seen += len(postings)
        if not postings and row[2] not in NOTE_KINDS:
            problem(seq, "the entry has no postings")
        elif postings and row[2] in NOTE_KINDS:
            problem(seq, "an audit entry moves money")
        total = 0
        commodity = row[6]
        known = True
        for _seq, account_id, amount, _line, _share in postings:
            total += amount
            running[account_id] += amount
            if commodity_of.get(account_id) != commodity:
                if account_id not in accounts:
                    known = False
                    problem(seq, f"posting to unknown account {account_id}")
                else:
                    problem(seq, "a posting is in another commodity than its entry")
            elif account_id in care_ids and running[account_id] > 0:
                unit = "minutes" if commodity == codes.TIME else "fen"
                problem(seq, f"{labels[account_id]} goes negative ({-running[account_id]} {unit})")
        if total != 0:
            problem(seq, f"the postings sum to {total} fen, not zero")
        leaf_hash = row[14]
        if known:
            labelled = [(labels[a], amount, line, share) for _seq, a, amount, line, share in postings]
            if sha256(b"\x00" + leaf_bytes(*row[1:14], labelled)).hexdigest() != leaf_hash:
                problem(seq, "the leaf hash does not match the entry's contents (changed after posting?)")
        try:
            rng.append(fromhex(leaf_hash))
        except ValueError:
            problem(seq, "the stored leaf hash is not hex")
            rng.append(merkle.EMPTY_ROOT)
        if rng.size in vouched:
            roots_at[rng.size] = rng.root().hex()
        while head_index < len(heads) and heads[head_index][0] == rng.size:
            report.heads += 1
            if heads[head_index][1] != rng.root().hex():
                # Some leaf after the last head that matched was changed after it was logged.
                problem(
                    last_good + 1,
                    f"the recorded tree head of size {rng.size} does not match the log's "
                    f"root: an entry from seq {last_good + 1} to {rng.size} was altered",
                )
            else:
                last_good = rng.size
            head_index += 1
    report.entries, report.postings = entries, postings_seen
    for size, _root in heads[head_index:]:
        report.heads += 1
        problem(None, f"a tree head claims {size} entries but the log has {rng.size}")

    # The balances the pages show (SQL aggregates) equal the replay.
    sums = session.execute(
        select(Posting.account_id, func.sum(Posting.amount)).group_by(Posting.account_id)
    ).all()
    for account_id, total in sums:
        if int(total) != running.get(account_id, 0):
            label = accounts.get(account_id, (None, None, None, str(account_id)))[3]
            problem(None, f"the balance of {label} differs from the replay of its entries")

    # The care-fund summary table the fund pages read equals a recomputation from the postings.
    stored, recomputed = care_sums.stored(session), care_sums.recomputed(session)
    for key in sorted(stored.keys() | recomputed.keys(), key=str):
        if stored.get(key) != recomputed.get(key):
            (amount, count), (real, real_count) = stored.get(key, (0, 0)), recomputed.get(key, (0, 0))
            problem(None, f"the care-fund summary row {key} holds {amount} fen from {count} entries, "
                          f"the postings {real} fen from {real_count}")

    _check_signatures(session, problem)
    roots_at[0] = merkle.EMPTY_ROOT.hex()
    for size, (root, who) in sorted(vouched.items()):
        if roots_at.get(size) != root:
            problem(None, f"ALARM: today's log does not extend the head of size {size} that {who} "
                          f"vouched for (root {root[:16]}…): the log was rewritten")
    if crosscheck:
        for message in crosscheck_module.problems(session):
            problem(None, message)

    report.root = rng.root().hex()
    report.seconds = time.perf_counter() - started
    return report


def _vouched_heads(session, saved_heads) -> dict[int, tuple[str, str]]:
    """{size: (root, who)} for co-signed heads and the saved heads given."""
    vouched = {}
    rows = session.execute(
        select(TreeHead.size, TreeHead.root).where(TreeHead.id.in_(select(Cosignature.head_id)))
    ).all()
    for size, root in rows:
        vouched[size] = (root, "a witness")
    for saved in saved_heads:
        vouched[int(saved["size"])] = (str(saved["root"]).lower(), "a saved head")
    return vouched


def _check_signatures(session, problem) -> None:
    rows = session.execute(
        select(TreeHead.id, TreeHead.size, TreeHead.root, TreeHead.created_at, TreeHead.log_id,
               TreeHead.signature).order_by(TreeHead.id)
    ).all()
    if not any(row.signature for row in rows):
        return
    public, log_id = signing.public_key_hex(), signing.log_id()
    signing_began = False
    last = None
    for row in rows:
        if row.signature is None:
            if signing_began:
                problem(None, f"the tree head of size {row.size} is not signed, though heads before it were")
            continue
        signing_began = True
        message = signing.head_message(row.log_id or "", row.size, row.root, row.created_at)
        if row.log_id != log_id or not signing.verify(public, message, row.signature):
            problem(None, f"the signature of the tree head of size {row.size} does not check")
        if last is not None and (row.size < last.size or row.created_at < last.created_at):
            problem(None, f"the signed head of size {row.size} comes after a larger or later one")
        last = row


def report_json(report: Report) -> str:
    return json.dumps(
        {
            "ok": report.ok,
            "entries": report.entries,
            "postings": report.postings,
            "heads": report.heads,
            "root": report.root,
            "seconds": round(report.seconds, 3),
            "problems": [str(p) for p in report.problems],
        }
    )
