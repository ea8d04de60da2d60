"""``docs/rules.md``, generated from the registry so the documentation is the rules' docstrings."""

from __future__ import annotations

import re
import textwrap

from gitopspol.checks.registry import RULES
from gitopspol.schema import builtin_kinds

_RANGES = (
    ("GP1", "Consistency"),
    ("GP2", "Tier strictness"),
    ("GP3", "Schema"),
    ("GP4", "Behaviour"),
    ("GP5", "GitOps output"),
)
_LITERAL = re.compile(r"^(.*)::\n\n((?:(?:    .*)?\n)+)", re.MULTILINE)


def rule_markdown(doc: str) -> str:
    """A rule docstring as Markdown: ``Title::`` literal blocks become YAML code fences."""

    def fence(match: re.Match[str]) -> str:
        body = textwrap.dedent(match.group(2)).strip("\n")
        return f"**{match.group(1)}**\n\n```yaml\n{body}\n```\n\n"

    # ``# expect:`` lines are for the example tests, not for readers.
    prose = re.sub(r"^ *# expect: .*\n", "", textwrap.dedent(doc).strip() + "\n", flags=re.M)
    return _LITERAL.sub(fence, prose.replace("``", "`")).strip() + "\n"


_FRAMEWORK = """\
## Writing a rule

A rule is one module under `gitopspol/checks/rules/`, named after its id
(`gp301_schema_violation.py`), listed in `RULES` in `gitopspol/checks/registry.py`. Its
docstring is its documentation: a summary line, a description, then a `Passing example::`
and a `Failing example::` literal block (a YAML stream; `# tier: NAME` lines start another
tier's documents, `# expect: TEXT` lines say what the failing example's messages contain).
The tests run every example, and fail on a duplicate id, an id outside its range or a rule
module missing from the registry. The module defines:

```python
RULE = Rule(id="GP3NN", name="short-name", severity=Severity.ERROR,
            scope=Scope.DOCUMENT, doc=__doc__ or "", check=for_each_document(check))
```

`check(ctx)` yields `Finding`s. `ctx` is a `RuleContext`: `tiers` maps each tier (lowest
rank first) to its rendered documents, each a `Subject` with `.data` and
`.field_location(json_pointer) -> (file, line)` (the renderer's `Resource` is one);
`crds` is the `--crd` registry; `settings` carries repository data (gitopspol.yaml,
waivers) for the rules that need it. `for_each_document(check)` runs a
`check(doc, tier, ctx)` generator over every document of every tier; repository rules
read `ctx.tiers` themselves. `RULE.finding(message, doc=..., tier=..., path=...)` builds a
finding located at the source line of `path`.

## Schemas

The schema rules use `gitopspol.schema`: built-in JSON schemas (authored from the
documented APIs, in `gitopspol/schema/schemas/`) for the kinds below, and any CRD given
with `--crd PATH` (files or folders; a CRD wins over the built-in schema of the same
apiVersion and kind). A CRD's `openAPIV3Schema` is converted as the API server reads it:
`nullable`, `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`,
`x-kubernetes-embedded-resource` (apiVersion and kind required, metadata checked),
`required`, and unknown fields reported wherever a structural schema would prune them
(`kubectl apply --validate=strict`). Null-valued fields are dropped first, as the API
server does. CEL `x-kubernetes-validations` are not evaluated. Gatekeeper constraints are
checked against the constraint envelope (match, enforcementAction,
scopedEnforcementActions) and their parameters against their template's schema, with
`legacySchema` semantics.

Built-in kinds:
"""


def rules_markdown() -> str:
    """The whole rules reference: one section per id range, one per rule."""
    out = [
        "# gitopspol validate: rules\n",
        "Generated from the rule docstrings in `gitopspol/checks/rules/` by",
        "`gitopspol.checks.docs.rules_markdown()`; regenerate with `make golden`.",
        "Rule ids are stable and never reused. `gitopspol validate --list-rules` prints",
        "the same list.\n",
        "| id | name | severity | summary |",
        "|---|---|---|---|",
    ]
    ordered = sorted(RULES, key=lambda rule: rule.id)
    out += [
        f"| [{r.id}](#{r.id.lower()}-{r.name}) | {r.name} | {r.severity.value} | {r.info.summary} |"
        for r in ordered
    ]
    out.append("\n" + _FRAMEWORK)
    out += [f"- `{kind}`" for kind in builtin_kinds()]
    for prefix, title in _RANGES:
        rules = [rule for rule in ordered if rule.id.startswith(prefix)]
        out.append(f"\n## {prefix}xx {title}\n")
        if not rules:
            out.append("No rules yet.")
        for rule in rules:
            out.append(f"### {rule.id} {rule.name}\n")
            out.append(f"Severity: {rule.severity.value}. Scope: {rule.scope.value}.\n")
            out.append(rule_markdown(rule.doc))
    return "\n".join(out).rstrip("\n") + "\n"
