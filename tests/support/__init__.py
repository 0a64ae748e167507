"""Real local services the tests start themselves (SMTP server…)."""
