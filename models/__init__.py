"""SQLAlchemy models only. Importing this package registers every table on `db.metadata`."""

from models.accounts import Membership, User  # noqa: F401
from models.base import Base, UTCDateTime, db, utcnow  # noqa: F401
from models.cart import CartItem  # noqa: F401
from models.catalog import Elder, ElderConsent, Home, Listing, Photo, Room, TourSession  # noqa: F401
from models.form_tokens import UsedFormToken  # noqa: F401
from models.fund import (  # noqa: F401
    Correction,
    Disbursement,
    Donation,
    ElderPayout,
    Grant,
    MonthSettlement,
    Settlement,
)
from models.impact import (  # noqa: F401
    ImpactRollup,
    ImpactSum,
    ListingReviewSum,
    Resident,
    Review,
    ReviewDecision,
    ReviewPhoto,
    ReviewReport,
    SaleSum,
    ServiceRecord,
    SurveyResponse,
)
from models.jobs import OutboxJob, WorkerBeat  # noqa: F401
from models.ledger import Account, Cosignature, JournalEntry, Posting, TreeHead, Witness  # noqa: F401
from models.notify import NotificationSetting  # noqa: F401
from models.orders import Order, OrderEvent, OrderLine, RoomNight, ShippingRate  # noqa: F401
from models.payments import Dispute, Payment, PaymentDifference, Refund, WebhookEvent  # noqa: F401
from models.search import SearchDocument, SearchQueue, SearchVersion, search_postings, search_spellings  # noqa: F401
from models.timebank import (  # noqa: F401
    Recognition,
    RecognitionAward,
    RecognitionBudget,
    Service,
    ServiceRequest,
    TimeAllocation,
    TimeDispute,
    TimePerson,
    TimeTransfer,
)
