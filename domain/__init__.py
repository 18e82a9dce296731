"""The wallet domain: entities, value objects, errors and ports. Plain Python, no frameworks."""
