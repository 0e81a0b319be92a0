"""The tables: every public module in this package is imported with it, in name order.

Add `app/models/order.py` with a model on `app.db.base.Base` and Alembic's autogenerate and the
test database see its table; nothing else to edit. Import models from their own module
(`from app.models.user import User`).
"""

from app.core.discovery import public_submodules

public_submodules(__name__)
