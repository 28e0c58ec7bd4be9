"""Payment providers (offline, Stripe), webhooks, refunds and reconciliation."""


def register_providers() -> None:
    """Make the built-in providers available by name (called by create_app)."""
    from market.payments import offline, providers, stripe_provider

    providers.register(offline.OfflineProvider())
    providers.register(stripe_provider.PROVIDER)
