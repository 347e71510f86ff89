"""A token bucket per connection: pure, so it is tested without clocks or sockets."""

from dataclasses import dataclass


@dataclass
class TokenBucket:
    """Allows `burst` messages at once and `rate` per second after that."""

    rate: float
    burst: float
    tokens: float | None = None
    updated: float | None = None

    def take(self, now: float) -> bool:
        """Spend one token at time `now` (seconds); False when the bucket is empty."""
        if self.tokens is None or self.updated is None:
            self.tokens, self.updated = self.burst, now
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        # Time only moves forward, so a clock that steps back never earns tokens twice.
        self.updated = max(self.updated, now)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
