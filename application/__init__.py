"""Use cases: one class per verb, taking ports, returning result value objects."""
