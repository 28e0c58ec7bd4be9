"""What the order use cases refuse; each message is translated and shown to the person."""

from flask_babel import gettext as _


class OrderError(ValueError):
    """A request the order's state or the rules do not allow; str(error) is translated."""


class OrderStateError(OrderError):
    """The order's status does not allow this (shown as 409)."""


class SoldOut(OrderError):
    """Checkout could not reserve everything; `gone` names each item that ran out."""

    def __init__(self, gone: list[str]):
        self.gone = gone
        super().__init__(_("Sorry, sold out: %(items)s. Nothing was reserved; please change your "
                           "cart and try again.", items="; ".join(gone)))


class PriceChanged(OrderError):
    def __init__(self, review):
        self.review = review
        super().__init__(_("A price or total changed since you looked. Please check the new total "
                           "and confirm again."))
