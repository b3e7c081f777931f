"""GitLab CI files read and checked the way GitLab reads them; one module per rule family.

  loader     YAML with GitLab's tags, duplicate keys, size limits, spec: headers, include: local
  model      the Pipeline: jobs, extends, default:, !reference, null unsets, flattened lists
  schema     GitLab's CI JSON schema (RE2 for regex formats)
  semantics  what the schema lets through: scripts, stages, needs, extends, caches, numbers
  images     uv image tags (the guide's pin, or any published uv in a reader's file)
  variables  every $VAR defined, predefined, set by the job's shell or declared
  uv         UV_* names, uv's cache and lock in `cache:`, pinned uv installs
  check      one block or file through every family, findings per kind

The names other modules import are re-exported here, each imported on first use: the site build
reads `files`, `loader` and `model` only (harness/kinds.py), without the schema or RE2.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "check": "check_all check_example check_text check_yaml",
    "files": "KINDS kinds_for",
    "images": "image_problem site_values",
    "loader": "Finding Map Reference Seq YAMLProblem line_of load parse",
    "model": "GLOBAL_KEYWORDS Pipeline Rules expand walk",
    "schema": "schema_findings validators",
    "semantics": "semantic_findings",
    "uv": "uv_knows uv_variables",
    "variables": "shell_sets shell_uses",
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names.split()}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
