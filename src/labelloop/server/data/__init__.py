"""The read-only data API: tables, facets, SQL and exports over the store.

Mount it with ``app.include_router(make_data_router(db, access), prefix="/data")``;
``access`` decides who reads (:class:`DataAccess`), and
:class:`PublicReadAccess` makes the API public and read-only.
"""

from labelloop.server.data.access import DataAccess, PublicReadAccess
from labelloop.server.data.router import make_data_router
from labelloop.store.query.settings import DataSettings

__all__ = ["DataAccess", "DataSettings", "PublicReadAccess", "make_data_router"]
