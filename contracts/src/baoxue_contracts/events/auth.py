"""Events about tokens (an extension of the catalog): revocations every service must honour."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from baoxue_contracts import topics
from baoxue_contracts.base import Event

PRODUCER = "baoxue-cli"


class TokenRevoked(Event):
    """A token was revoked and must stop working everywhere (吊销令牌)."""

    event_type = "TokenRevoked"
    schema_version = 1
    topic = topics.AUTH

    jti: Annotated[str, Field(min_length=1, description="The token's id (JWT jti); never the token.")]
    expires_at: AwareDatetime = Field(description="Expiry of the token; the revocation may be dropped after it.")
    reason: str | None = None


EVENTS: tuple[type[Event], ...] = (TokenRevoked,)
"""The events this service produces, in catalog order."""
