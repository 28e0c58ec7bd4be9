"""Telling a home's staff and committee members by mail what needs them (issue 18).

Low in the domain order (it uses models, `market.mail` and the outbox only), so the domains
that see an event call it in their own transaction: `orders` (an order placed, paid; stock
running low), `fund` (a spending or correction proposed, a donation pledged). Each person
chooses per home which kinds they receive (`service.choices`); mail goes only through the
outbox, one key per event and person, in the person's language, and only to members of the home
concerned. SMS is a provider interface for later (`sms.py`).
"""
