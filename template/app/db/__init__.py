"""The database: engine and sessions (session.py), models' base (base.py), hot reads (reads.py).

Two ways to reach it; pick by what the code does:

- **The request's transactional session** (`SessionDep` in app/api/deps.py, built by
  `session_scope`): the default for everything. One unit of work per request, committed when the
  route returns and rolled back when it raises, ORM objects and relationships included. Any
  write goes here, and so does any read that is not on the list below.
- **RowReader** (reads.py): single-row lookups by key that run on most requests and read plain
  columns: the caller's identity on every authenticated request, the credentials at login. One
  round trip on one of the reader's own few connections (DB_READ_POOL_SIZE), no transaction and
  no ORM, waiting its turn in first-in first-out order when they are all busy. Never for
  writes, never for rows the request then changes (load those through the session), never for
  columns SQLAlchemy must convert.

A read that becomes hot enough to show in bench/run.py moves from the session to RowReader;
nothing else does.
"""
