"""GitLab CI files read and checked the way GitLab reads them; one module per rule family.

  loader     YAML with GitLab's tags, duplicate keys, size limits, spec: headers, include: local
  model      the Pipeline: jobs, extends, default:, !reference, null unsets, flattened lists
  schema     GitLab's CI JSON schema (RE2 for regex formats)
  semantics  what the schema lets through: scripts, stages, needs, extends, caches, numbers
  images     uv image tags (the guide's pin, or any published uv in a reader's file)
  variables  every $VAR defined, predefined, set by the job's shell or declared
  uv         UV_* names, uv's cache and lock in `cache:`, pinned uv installs
  check      one block or file through every family, findings per kind

The names other modules import are re-exported here.
"""

from .check import KINDS, check_all, check_example, check_text, check_yaml, kinds_for
from .images import image_problem, site_values
from .loader import Finding, Map, Reference, Seq, YAMLProblem, line_of, load, parse
from .model import GLOBAL_KEYWORDS, Pipeline, Rules, expand, walk
from .schema import schema_findings, validators
from .semantics import semantic_findings
from .uv import uv_knows, uv_variables
from .variables import shell_sets, shell_uses

__all__ = [
    "GLOBAL_KEYWORDS",
    "KINDS",
    "Finding",
    "Map",
    "Pipeline",
    "Reference",
    "Rules",
    "Seq",
    "YAMLProblem",
    "check_all",
    "check_example",
    "check_text",
    "check_yaml",
    "expand",
    "image_problem",
    "kinds_for",
    "line_of",
    "load",
    "parse",
    "schema_findings",
    "semantic_findings",
    "shell_sets",
    "shell_uses",
    "site_values",
    "uv_knows",
    "uv_variables",
    "validators",
    "walk",
]
