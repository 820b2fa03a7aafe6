"""Personal data: resident ID numbers are validated, matched by keyed hash and shown masked, never in clear."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

log = logging.getLogger(__name__)

# Exactly what is hashed: python-stdnum would also accept spaces, dashes and full-width digits, whose
# keyed hash differs from the plain number's, so one pupil could get two hashes.
_SHAPE = re.compile(r"[0-9]{17}[0-9Xx]")
_INVALID = "not a valid resident ID number"


def check_national_id(number: str, birth_date: date | None = None) -> str | None:
    """Why an 18-character resident ID number (GB 11643) is wrong, or None if it is valid; never raises."""
    if len(number) != 18:
        return f"{_INVALID} (the number has an invalid length: 18 characters are needed)"
    if not _SHAPE.fullmatch(number):
        return f"{_INVALID} (17 digits and a final digit or X are needed)"
    try:
        born = ric.get_birth_date(ric.validate(number))
    except ValidationError as exc:
        return f"{_INVALID} ({getattr(exc, 'message', exc)})"
    except Exception as exc:  # python-stdnum raises a bare KeyError for some birth-place codes (e.g. 527081)
        log.debug("python-stdnum failed on a resident ID number: %r", exc)
        return f"{_INVALID} (its birth-place code is not recognised)"
    if birth_date is not None and born != birth_date:
        return "the birth date in the ID number does not match birth_date"
    return None


def national_id_hash(key: str, number: str) -> str:
    """The keyed hash (HMAC-SHA256) that matches a resident ID number across registers without storing it."""
    return hmac.new(key.encode(), number.strip().upper().encode(), hashlib.sha256).hexdigest()


def mask_national_id(number: str) -> str:
    """`5226**********123X`: the first 4 and last 4 characters only."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if len(number) > 8 else "*" * len(number)
