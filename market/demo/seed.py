"""Demo data: placeholder, replaced by the real seed."""


def seed():
    return None
