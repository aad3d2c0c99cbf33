"""pinlint: find SQL and driver code that pins RDS Proxy or breaks PgBouncer transaction pooling."""

__version__ = "0.1.0"
HOMEPAGE = "https://github.com/pinlint-db/pinlint"  # the repository: README, docs/rules/, pre-commit hooks
