"""One date format on every page, the admin's included: ISO dates, 24-hour times (the pages
write ``Y-m-d H:i``; the English locale's ``N j, Y, P`` made the admin look different)."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
