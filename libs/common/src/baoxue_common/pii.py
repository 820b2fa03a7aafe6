"""Personal data: resident ID numbers are validated, matched by keyed hash and shown masked, never in clear."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError


def check_national_id(number: str, birth_date: date | None = None) -> str | None:
    """Why an 18-character resident ID number (GB 11643) is wrong, or None if it is valid."""
    try:
        valid = ric.validate(number)
    except ValidationError as exc:
        return f"not a valid resident ID number ({getattr(exc, 'message', exc)})"
    if len(valid) != 18:
        return "a resident ID number must have 18 characters"
    if birth_date is not None and ric.get_birth_date(valid) != birth_date:
        return "the birth date in the ID number does not match birth_date"
    return None


def national_id_hash(key: str, number: str) -> str:
    """The keyed hash (HMAC-SHA256) that matches a resident ID number across registers without storing it."""
    return hmac.new(key.encode(), number.strip().upper().encode(), hashlib.sha256).hexdigest()


def mask_national_id(number: str) -> str:
    """`5226**********123X`: the first 4 and last 4 characters only."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if len(number) > 8 else "*" * len(number)
