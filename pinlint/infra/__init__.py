"""Infrastructure as code: read CloudFormation/SAM/serverless.yml and Terraform with positions,
derive the database facts they declare (Aurora clusters, RDS Proxies and their pools), and run the
``infrastructure`` rules over those facts.

The engine knows this package through three names: ``is_infrastructure_path`` (which files it
reads), ``pinlint.kinds.infrastructure`` (a rule's ``[match]`` table of kind ``infrastructure``) and
``lint_stacks`` / ``lint_paths`` / ``lint_cdk_source`` (the hits of those rules, with their positions).
"""

from __future__ import annotations

from pinlint.infra.checks import (
    FileHits,
    InfraHit,
    check_documents,
    lint_cdk_source,
    lint_paths,
    lint_stacks,
)
from pinlint.infra.files import is_infrastructure_path, read_documents

__all__ = [
    "FileHits",
    "InfraHit",
    "check_documents",
    "is_infrastructure_path",
    "lint_cdk_source",
    "lint_paths",
    "lint_stacks",
    "read_documents",
]
