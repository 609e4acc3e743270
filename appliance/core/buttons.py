"""Every screen button id the core understands: the one catalogue (scenarios use these)."""

PAY = "pay"
HELP = "help"
RETRY_PAYMENT = "retry"
CANCEL_PAYMENT = "cancel-payment"
DONE = "done"

STAFF_APPROVE = "staff.approve"
STAFF_HELP_GIVEN = "staff.help-given"
STAFF_CANCEL_SALE = "staff.cancel-sale"
STAFF_OPEN_DRAWER = "staff.open-drawer"
STAFF_OUT_OF_SERVICE = "staff.out-of-service"
STAFF_BACK_IN_SERVICE = "staff.back-in-service"

CUSTOMER_BUTTONS = frozenset({PAY, HELP, RETRY_PAYMENT, CANCEL_PAYMENT, DONE})
STAFF_BUTTONS = frozenset(
    {
        STAFF_APPROVE,
        STAFF_HELP_GIVEN,
        STAFF_CANCEL_SALE,
        STAFF_OPEN_DRAWER,
        STAFF_OUT_OF_SERVICE,
        STAFF_BACK_IN_SERVICE,
    }
)
ALL_BUTTONS = CUSTOMER_BUTTONS | STAFF_BUTTONS
