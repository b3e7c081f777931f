"""GitLab-aware YAML: load a .gitlab-ci.yml the way GitLab reads it, keeping line marks.

GitLab accepts the custom tag `!reference [job, key, ...]` (sequence form only) and rejects
duplicate keys (https://docs.gitlab.com/ci/yaml/yaml_optimization/#reference-tags). PyYAML
accepts neither by default, and silently lets the last duplicate key win.
"""

from __future__ import annotations

import yaml

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Map(dict):
    """A mapping that remembers the YAML nodes of its keys and values."""

    key_nodes: dict
    value_nodes: dict


class Seq(list):
    """A sequence that remembers the YAML node of each item."""

    nodes: list


class Reference(Seq):
    """`!reference [.template, script]`: the path of the referenced value."""


class GitLabLoader(_Base):
    pass


def _mapping(loader: GitLabLoader, node: yaml.MappingNode) -> Map:
    loader.flatten_mapping(node)
    result = Map()
    result.key_nodes, result.value_nodes = {}, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result.key_nodes:
            first = result.key_nodes[key].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first defined on line {first})", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_nodes[key], result.value_nodes[key] = key_node, value_node
    return result


def _sequence(loader: GitLabLoader, node: yaml.SequenceNode, cls: type[Seq] = Seq) -> Seq:
    result = cls(loader.construct_object(child, deep=True) for child in node.value)
    result.nodes = list(node.value)
    return result


def _reference(loader: GitLabLoader, node: yaml.Node) -> Reference:
    if not isinstance(node, yaml.SequenceNode):
        raise yaml.constructor.ConstructorError(
            None, None, f"!reference takes a sequence such as [.job, script], got {node.id}", node.start_mark
        )
    return _sequence(loader, node, Reference)


GitLabLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
GitLabLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
GitLabLoader.add_constructor("!reference", _reference)


class YAMLProblem(Exception):
    """YAML GitLab would refuse; `line` is 1-based within the loaded text."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def load(text: str):
    """Parse one YAML document as GitLab does. Raises YAMLProblem with a line and one sentence."""
    try:
        return yaml.load(text, Loader=GitLabLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = " ".join(filter(None, [exc.context, exc.problem]))
        raise YAMLProblem(line, message) from None
    except yaml.YAMLError as exc:
        raise YAMLProblem(1, " ".join(str(exc).split())) from None


def line_of(node: yaml.Node) -> int:
    """1-based line of a node within the loaded text."""
    return node.start_mark.line + 1
