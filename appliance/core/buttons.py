"""Every screen button id the core understands: the one catalogue (scenarios use these)."""

# the customer's
PAY = "pay"
HELP = "help"
RETRY_PAYMENT = "retry"
CANCEL_PAYMENT = "cancel-payment"
DONE = "done"
REMOVE_ITEM = "remove-item"
PRICE_CHECK = "price-check"
# an item without a barcode, chosen on the lookup screen (ui.lookup_input); arg: its GTIN
LOOK_UP = "look-up"
STILL_HERE = "still-here"  # the answer to "Still there?"
# the receipt choice after a paid sale (e-receipts configured)
PRINT_RECEIPT = "print-receipt"
ERECEIPT = "ereceipt"
NO_RECEIPT = "no-receipt"

# staff's (key in the staff position and a badge scanned)
STAFF_APPROVE = "staff.approve"
STAFF_APPROVE_AGE = "staff.approve-age"
STAFF_HELP_GIVEN = "staff.help-given"
STAFF_VOID_LINE = "staff.void-line"  # arg: line number
STAFF_OVERRIDE_PRICE = "staff.override-price"  # arg: "<line> <price_minor> <reason>"
STAFF_CANCEL_SALE = "staff.cancel-sale"
STAFF_SUSPEND = "staff.suspend"
STAFF_OPEN_DRAWER = "staff.open-drawer"
STAFF_REPRINT = "staff.reprint"
STAFF_X_REPORT = "staff.x-report"
STAFF_Z_REPORT = "staff.z-report"
STAFF_CLOSE_REPORT = "staff.close-report"
STAFF_REFUND_LINE = "staff.refund-line"  # arg: line number of the sold sale
STAFF_REFUND_CONFIRM = "staff.refund-confirm"
STAFF_REFUND_CANCEL = "staff.refund-cancel"
STAFF_PAYMENT_TAKEN = "staff.payment-taken"  # arg: the terminal's reference, optional
STAFF_PAYMENT_NOT_TAKEN = "staff.payment-not-taken"
STAFF_OUT_OF_SERVICE = "staff.out-of-service"
STAFF_BACK_IN_SERVICE = "staff.back-in-service"

CUSTOMER_BUTTONS = frozenset(
    {PAY, HELP, RETRY_PAYMENT, CANCEL_PAYMENT, DONE, REMOVE_ITEM, PRICE_CHECK}
    | {PRINT_RECEIPT, ERECEIPT, NO_RECEIPT}
    | {STILL_HERE}
    | {LOOK_UP}
)
STAFF_BUTTONS = frozenset(
    {
        STAFF_APPROVE,
        STAFF_APPROVE_AGE,
        STAFF_HELP_GIVEN,
        STAFF_VOID_LINE,
        STAFF_OVERRIDE_PRICE,
        STAFF_CANCEL_SALE,
        STAFF_SUSPEND,
        STAFF_OPEN_DRAWER,
        STAFF_REPRINT,
        STAFF_X_REPORT,
        STAFF_Z_REPORT,
        STAFF_CLOSE_REPORT,
        STAFF_REFUND_LINE,
        STAFF_REFUND_CONFIRM,
        STAFF_REFUND_CANCEL,
        STAFF_PAYMENT_TAKEN,
        STAFF_PAYMENT_NOT_TAKEN,
        STAFF_OUT_OF_SERVICE,
        STAFF_BACK_IN_SERVICE,
    }
)
ALL_BUTTONS = CUSTOMER_BUTTONS | STAFF_BUTTONS
