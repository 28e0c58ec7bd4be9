"""Flask extensions, created once and bound in create_app."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from models import db

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()

__all__ = ["babel", "csrf", "db", "login_manager", "migrate"]
