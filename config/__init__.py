"""Settings classes. Environment variables override them (see README)."""

from config.settings import (
    Config,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_for_env,
)

__all__ = ["Config", "DevelopmentConfig", "ProductionConfig", "TestingConfig", "config_for_env"]
