"""Account codes of the care-fund ledger.

Postings are signed fen, DEBIT POSITIVE. Every home account is a *credit-normal* bucket of
value that belongs to (or is owed to) the home, so its balance as people read it is
``-sum(postings)``; `balance()` already flips the sign, so every figure shown is positive.

Home accounts
- ``care_fund:pending``   care-fund share of sales not yet past fulfilment + cancellation.
- ``care_fund:available`` care fund the home may spend (released sales, donations, grants).
- ``care_fund:spent``     care fund spent through approved disbursements (cumulative).
- ``elder_incentive``     incentives of sale lines that name no elder (the pooled account,
                          settled to the home as before).
- ``elder_incentive:<id>`` credit-normal: the incentive owed to one elder (`models.catalog.Elder`
                          id) of lines crediting that elder; goes down only by refunds of those
                          lines and by signed-off payouts to the elder (market/fund/elder_pay.py).
- ``home_operations``     the home's operating share of sales (until settled).
- ``settlements_paid``    money the platform has paid out to the home (cumulative).
- ``home_cash``           debit-normal: money of the books the home itself holds (cash, the
                          village account): offline sales, less cash handed back on refunds,
                          less fees paid to the platform, plus what the platform paid in a
                          monthly settlement.
- ``fees_payable``        credit-normal: platform fees the home owes for offline sales.

Platform accounts
- ``payments_clearing``   money received from buyers and donors (debit-normal asset).
- ``fee_revenue``         the platform fee share of sales (credit-normal income).
- ``fees_receivable``     fees homes owe the platform for offline sales (debit-normal asset;
                          per home through the entry's home, always equal to that home's
                          ``fees_payable``).
- ``processing_costs``    costs the platform absorbs, e.g. a refund of care-fund money the
                          home has already spent (debit-normal expense).
- ``external_income``     counterpart of money that reached a home outside the platform's
                          payments: subsidies and grants (debit-normal).

Time bank (commodity ``TIME``, amounts in minutes; never in an entry with money)
- ``time:pool``           home, debit-normal: hours the home has credited to its people for
                          confirmed services and that they still hold (their hours' source).
- ``time:person:<id>``    home, credit-normal: the hours a person of the time bank holds
                          (`models.timebank.TimePerson` id); never negative.
- ``time:due_from_homes`` home, debit-normal: hours other homes' people spent here (owed to us).
- ``time:due_to_homes``   home, credit-normal: hours our people spent in other homes (we owe).
- ``time:reserve``        home, credit-normal: hours people donated to the home, which the village
                          committee allocates to elders (four eyes); never negative.
"""

CARE_PENDING = "care_fund:pending"
CARE_AVAILABLE = "care_fund:available"
CARE_SPENT = "care_fund:spent"
ELDER_INCENTIVE = "elder_incentive"
HOME_OPERATIONS = "home_operations"
SETTLEMENTS_PAID = "settlements_paid"
HOME_CASH = "home_cash"
FEES_PAYABLE = "fees_payable"

PAYMENTS_CLEARING = "payments_clearing"
FEE_REVENUE = "fee_revenue"
PROCESSING_COSTS = "processing_costs"
EXTERNAL_INCOME = "external_income"
FEES_RECEIVABLE = "fees_receivable"

HOME_CODES = (CARE_PENDING, CARE_AVAILABLE, CARE_SPENT, ELDER_INCENTIVE, HOME_OPERATIONS, SETTLEMENTS_PAID)
# Offline sales: the home holds the money and owes the platform its fee (a pair that the monthly
# settlement clears). Not in HOME_CODES: those are the buckets every home has from the start.
OFFLINE_HOME_CODES = (HOME_CASH, FEES_PAYABLE)
PLATFORM_CODES = (PAYMENTS_CLEARING, FEE_REVENUE, PROCESSING_COSTS, EXTERNAL_INCOME, FEES_RECEIVABLE)

# Accounts whose natural balance is a credit: shown as -sum(postings).
CREDIT_NORMAL = frozenset(HOME_CODES) | {FEE_REVENUE, FEES_PAYABLE}

# Accounts a settlement may pay out from.
SETTLEABLE = (HOME_OPERATIONS, ELDER_INCENTIVE)

# Shares of a sale line (allocation.split_line keys) and where each is credited.
SHARE_CARE = "care"
SHARE_INCENTIVE = "incentive"
SHARE_FEE = "fee"
SHARE_OPERATIONS = "operations"
SHARE_TOTAL = "total"  # the clearing side of a line
SHARES = (SHARE_CARE, SHARE_INCENTIVE, SHARE_FEE, SHARE_OPERATIONS)
SHARE_ACCOUNT = {
    SHARE_CARE: CARE_PENDING,
    SHARE_INCENTIVE: ELDER_INCENTIVE,
    SHARE_FEE: FEE_REVENUE,
    SHARE_OPERATIONS: HOME_OPERATIONS,
}
PLATFORM_SHARES = frozenset({SHARE_FEE})
# An order's shipping (no line): all of it to the home's operations (it pays the carrier), with
# no care share, no elder incentive and no platform fee.
SHARE_SHIPPING = "shipping"


ELDER_PREFIX = "elder_incentive:"


def elder_code(elder_id: int) -> str:
    return f"{ELDER_PREFIX}{int(elder_id)}"


def is_elder_code(code: str) -> bool:
    return code.startswith(ELDER_PREFIX) and code[len(ELDER_PREFIX):].isdigit()


def elder_of_code(code: str) -> int | None:
    return int(code[len(ELDER_PREFIX):]) if is_elder_code(code) else None


def is_incentive_code(code: str) -> bool:
    """The pooled incentive account or one elder's."""
    return code == ELDER_INCENTIVE or is_elder_code(code)


def share_code(share: str, elder_id: int | None = None) -> str:
    """The account a line's share is credited to: the incentive of a line crediting an elder goes
    to that elder's own account, of a line with no elder to the pooled account."""
    if share == SHARE_INCENTIVE and elder_id is not None:
        return elder_code(elder_id)
    return SHARE_ACCOUNT[share]


TIME = "TIME"
TIME_POOL = "time:pool"
TIME_DUE_FROM = "time:due_from_homes"
TIME_DUE_TO = "time:due_to_homes"
TIME_RESERVE = "time:reserve"
TIME_PERSON_PREFIX = "time:person:"
TIME_HOME_CODES = (TIME_POOL, TIME_DUE_FROM, TIME_DUE_TO, TIME_RESERVE)


def time_person_code(person_id: int) -> str:
    return f"{TIME_PERSON_PREFIX}{int(person_id)}"


def is_time_person_code(code: str) -> bool:
    return code.startswith(TIME_PERSON_PREFIX) and code[len(TIME_PERSON_PREFIX):].isdigit()


def is_credit_normal(code: str) -> bool:
    return (code in CREDIT_NORMAL or code in (TIME_DUE_TO, TIME_RESERVE) or is_time_person_code(code)
            or is_elder_code(code))


def is_home_code(code: str) -> bool:
    return (code in HOME_CODES or code in OFFLINE_HOME_CODES or code in TIME_HOME_CODES
            or is_time_person_code(code) or is_elder_code(code))


def is_platform_code(code: str) -> bool:
    return code in PLATFORM_CODES
