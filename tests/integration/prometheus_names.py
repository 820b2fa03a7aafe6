"""What the provisioned Grafana asks Prometheus, and what the collector makes of the services' OTLP metrics.

Queries are read from the dashboards and data sources and parsed as PromQL. OTLP metrics are named as
the collector's Prometheus exporter names them (pkg/translator/prometheus with `add_metric_suffixes`
on): name tokens joined by `_`, the unit's word appended unless `{annotated}` or already in the name,
`_total` on monotonic sums, `_ratio` on unit-1 gauges, `_bucket`/`_sum`/`_count` for histograms. The
spanmetrics connector's series follow from the spans seen and the connector's settings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import promql_parser as promql
import yaml
from baoxue_common.services import SERVICES

from tests.integration.otlp import MetricSeen, OtlpReceiver

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "datasources.yaml"
COLLECTOR = ROOT / "deploy" / "otel-collector" / "config.yaml"
NAMESPACE = "baoxue"  # service.namespace: the collector's job label is "<namespace>/<service.name>"

UNIT_WORDS = {
    **{"d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds"},
    **{"us": "microseconds", "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes"},
    **{"GiBy": "gibibytes", "KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes", "m": "meters"},
    **{"V": "volts", "A": "amperes", "J": "joules", "W": "watts", "g": "grams", "Cel": "celsius"},
    **{"Hz": "hertz", "1": "", "%": "percent"},
}
PER_UNIT_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year"}


# ----------------------------------------------------------------------------- the collector's naming


def prometheus_name(metric: MetricSeen) -> str:
    """The collector's Prometheus name of an OTLP metric (before the histogram series suffixes)."""
    tokens = [t for t in re.split(r"[^a-zA-Z0-9]+", metric.name) if t]
    main, _, per = metric.unit.partition("/")
    main_word = "" if not main.strip() or "{" in main or "}" in main else UNIT_WORDS.get(main.strip(), main.strip())
    main_word = "_".join(t for t in re.split(r"[^a-zA-Z0-9]+", main_word) if t)
    if main_word and main_word not in tokens:
        tokens.append(main_word)
    per_word = "" if not per.strip() or "{" in per or "}" in per else PER_UNIT_WORDS.get(per.strip(), per.strip())
    if per_word and per_word not in tokens:
        tokens += ["per", per_word]
    if metric.data == "sum" and metric.monotonic:
        tokens = [t for t in tokens if t != "total"] + ["total"]
    if metric.unit == "1" and metric.data == "gauge":
        tokens = [t for t in tokens if t != "ratio"] + ["ratio"]
    name = "_".join(tokens)
    return "_" + name if name[:1].isdigit() else name


def series_names(metric: MetricSeen) -> set[str]:
    """The series names Prometheus stores for one OTLP metric."""
    base = prometheus_name(metric)
    if metric.data == "histogram":
        return {f"{base}_bucket", f"{base}_sum", f"{base}_count"}
    if metric.data == "summary":
        return {base, f"{base}_sum", f"{base}_count"}
    if metric.data == "exponential_histogram":
        return set()  # the Prometheus exporter drops them
    return {base}


def label_name(attribute: str) -> str:
    """An attribute key as a Prometheus label."""
    label = re.sub(r"[^a-zA-Z0-9_]", "_", attribute)
    return "key_" + label if label[:1].isdigit() else label


@dataclass
class Emitted:
    """One Prometheus series name: which jobs emit it and the labels it carries."""

    jobs: set[str]
    labels: set[str]


def emitted_by_services(otlp: OtlpReceiver) -> dict[str, Emitted]:
    """Every series name the services' own metrics become, with the jobs and labels behind it."""
    out: dict[str, Emitted] = {}
    for spec in SERVICES:
        for metric in otlp.metrics_of(spec.name).values():
            if not metric.points:
                continue
            labels = {label_name(k) for k in metric.attribute_keys} | {"job"}
            if metric.data == "histogram":
                labels.add("le")
            for name in series_names(metric):
                seen = out.setdefault(name, Emitted(set(), set()))
                seen.jobs.add(f"{NAMESPACE}/{spec.name}")
                seen.labels |= labels
    return out


def emitted_by_spanmetrics(otlp: OtlpReceiver) -> dict[str, Emitted]:
    """The spanmetrics connector's series, as the collector config sets it up, for the spans seen."""
    config = yaml.safe_load(COLLECTOR.read_text(encoding="utf-8"))
    connector = (config.get("connectors") or {}).get("spanmetrics")
    pipelines = config["service"]["pipelines"]
    if connector is None or not any("spanmetrics" in p.get("receivers", []) for p in pipelines.values()):
        return {}
    namespace = connector.get("namespace", "traces.span.metrics")
    histogram = connector.get("histogram") or {}
    jobs = {f"{NAMESPACE}/{s.service}" for s in otlp.all_spans()}
    if not jobs:
        return {}
    labels = {"service_name", "span_name", "span_kind", "status_code"}
    labels |= {label_name(d["name"]) for d in connector.get("dimensions", [])}
    metrics = [MetricSeen(f"{namespace}.calls", "", "sum", monotonic=True)]
    if not histogram.get("disable") and "exponential" not in histogram:
        metrics.append(MetricSeen(f"{namespace}.duration", histogram.get("unit", "ms"), "histogram"))
    out: dict[str, Emitted] = {}
    for metric in metrics:
        for name in series_names(metric):
            out[name] = Emitted(set(jobs), labels | ({"le"} if name.endswith("_bucket") else set()))
    return out


# ----------------------------------------------------------------------------- what the files query


@dataclass(frozen=True)
class Query:
    """One PromQL query, where it is written, and the label values Grafana substitutes into it."""

    where: str
    expr: str


def dashboard_queries() -> list[Query]:
    """Every Prometheus query of every provisioned dashboard: panel targets and template variables."""
    found: list[Query] = []
    for path in sorted((GRAFANA / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for variable in dashboard.get("templating", {}).get("list", []):
            query = variable.get("query")
            text = query.get("query", "") if isinstance(query, dict) else query or variable.get("definition", "")
            if variable.get("type") == "query":
                found.append(Query(f"{path.name} variable {variable['name']}", _label_values_selector(text)))
        for panel in _panels(dashboard.get("panels", [])):
            for target in panel.get("targets", []):
                if target.get("expr") and (target.get("datasource") or panel.get("datasource", {})).get("type") in (
                    "prometheus",
                    None,
                ):
                    found.append(Query(f"{path.name} panel {panel['title']!r} {target['refId']}", target["expr"]))
    return found


def datasource_queries() -> list[Query]:
    """The PromQL the data sources run (Tempo's traces-to-metrics links), with Grafana's `$__tags` filled in."""
    found: list[Query] = []
    for source in yaml.safe_load(DATASOURCES.read_text(encoding="utf-8"))["datasources"]:
        links = source.get("jsonData", {}).get("tracesToMetrics", {})
        tags = ", ".join(f'{t.get("value") or t["key"]}="x"' for t in links.get("tags", []))
        for query in links.get("queries", []):
            expr = query["query"].replace("$$", "$").replace("$__tags", tags)
            found.append(Query(f"{DATASOURCES.name} {source['name']} {query['name']!r}", expr))
    return found


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for panel in panels:
        out.append(panel)
        out += _panels(panel.get("panels", []))
    return out


def _label_values_selector(text: str) -> str:
    """`label_values(metric{…}, label)` as the selector `metric{…}` plus a `by (label)` to check the label."""
    match = re.fullmatch(r"\s*label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*", text)
    assert match, f"unsupported variable query {text!r}"
    return f"count by ({match[2]}) ({match[1]})"


def grafana_to_promql(expr: str) -> str:
    """Grafana's interval macros as durations and `$variable`s as match-anything regexes."""
    expr = re.sub(r"\$__(rate_interval|interval|range)\b", "5m", expr)
    return re.sub(r"\$\{?[a-zA-Z_]\w*(?::\w+)?\}?", ".+", expr)


@dataclass(frozen=True)
class Selector:
    """A series selector in a query, with the labels the query needs from it."""

    name: str
    matchers: tuple[tuple[str, Any, str], ...]
    needed: frozenset[str]


def selectors(expr: str) -> list[Selector]:
    """The selectors of a query; `needed` holds labels matched on it or grouped by around it."""
    found: list[Selector] = []

    def visit(node: Any, grouped: frozenset[str]) -> None:
        if isinstance(node, promql.VectorSelector):
            matchers = tuple((m.name, m.op, m.value) for m in node.matchers.matchers)
            name = node.name or next(v for n, _, v in matchers if n == "__name__")
            labels = {n for n, _, _ in matchers if n != "__name__"}
            found.append(Selector(name, matchers, grouped | labels))
            return
        modifier = getattr(node, "modifier", None) if isinstance(node, promql.AggregateExpr) else None
        if modifier is not None and modifier.type == promql.AggModifierType.By:
            grouped = grouped | set(modifier.labels)
        for child in _children(node):
            visit(child, grouped)

    visit(promql.parse(grafana_to_promql(expr)), frozenset())
    return found


def _children(node: Any) -> list[Any]:
    if isinstance(node, promql.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, promql.Call):
        return list(node.args)
    if isinstance(node, promql.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, promql.AggregateExpr):
        return [node.expr] + ([node.param] if node.param is not None else [])
    if isinstance(node, promql.ParenExpr | promql.UnaryExpr | promql.SubqueryExpr):
        return [node.expr]
    return []


def admits(selector: Selector, job: str) -> bool:
    """Whether the selector's `job` matchers let a series of this job through."""
    for name, op, value in selector.matchers:
        if name != "job":
            continue
        if op == promql.MatchOp.Equal and job != value:
            return False
        if op == promql.MatchOp.NotEqual and job == value:
            return False
        if op == promql.MatchOp.Re and not re.fullmatch(value, job):
            return False
        if op == promql.MatchOp.NotRe and re.fullmatch(value, job):
            return False
    return True


def queried() -> list[Query]:
    """Everything the provisioned Grafana asks Prometheus."""
    return dashboard_queries() + datasource_queries()


def unmet(queries: list[Query], emitted: dict[str, Emitted]) -> list[str]:
    """Each selector no emitted series satisfies (name, job, labels), said in one line."""
    problems: list[str] = []
    for query in queries:
        for selector in selectors(query.expr):
            seen = emitted.get(selector.name)
            if seen is None:
                problems.append(f"{query.where}: {selector.name} is emitted by no service")
                continue
            if not any(admits(selector, job) for job in seen.jobs):
                problems.append(f"{query.where}: {selector.name} comes only from {sorted(seen.jobs)}")
            if lacking := selector.needed - seen.labels:
                problems.append(f"{query.where}: {selector.name} has no label {sorted(lacking)}")
    return problems
