"""Phone numbers in E.164 (`+14155550100`), validated with Google's libphonenumber metadata.

Twilio takes and returns E.164; the CRM joins texts and calls to people by these numbers, so a
number is normalized before it is stored or sent, and one that is not a valid number is refused
as bad input (nothing is recorded, nothing is sent).
"""

from __future__ import annotations

import phonenumbers

from worker.errors import BadInput


def to_e164(value: str, region: str, what: str = "phone number") -> str:
    """`value` as E.164; a number without `+country code` is read as one of `region`."""
    text = (value or "").strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise BadInput(f"{what} {value!r} is not a valid phone number: give it in E.164 (e.g. +14155550100)"
                       f" or as a national number of {region}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
