"""PostgreSQL groundwork (psycopg 3): trigger capture, advisory-lock lease, retryable errors.

Stand-alone parts for the ``postgresql`` backend behind the core's seam (issue 14).
"""
