"""The quota bound of a run and its cost.

The bound is an honest lower bound on the completion time of a burst: for each quota, the demand
the documents put on it (what a run without any quota consumed: requests, tokens, job-seconds,
Lambda-seconds) less what its bucket holds at the start, divided by its rate; plus the least time
any document needs before its first use of that service and after its last (from the same run
without quotas). No schedule can beat ``max`` of these, nor the run without quotas itself (the
critical path of the slowest document and the starter's pace). The tightest quota is the one
whose term is largest.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.scale.model import JOBS, SERVICE_QUOTAS, Stats
from bench.scale.quotas import Prices, Quota

EXPRESS_REQUEST_USD = 1.00 / 1_000_000  # Step Functions Express, per request (pricing page)


@dataclass(frozen=True)
class Bound:
    seconds: float
    quota: str  # the tightest quota (or "critical path")
    terms: dict[str, float]


def quota_bound(free: Stats, quotas: dict[str, Quota]) -> Bound:
    """The bound from a run without quotas (``free``: same documents)."""
    terms: dict[str, float] = {}
    for service, keys in SERVICE_QUOTAS.items():
        if service not in free.first_use:
            continue
        around = free.first_use[service] + free.min_after.get(service, 0.0)
        for key in keys:
            quota = quotas[key]
            demand = float(free.units[service])
            rate, burst = quota.value, quota.burst or quota.value
            if key.endswith("tokens_per_minute"):
                demand = float(free.units["bedrock.input"] + free.units["bedrock.output"])
            if key.endswith(("_per_minute",)):
                rate, burst = quota.value / 60, quota.burst or quota.value
            terms[key] = max(0.0, demand - burst) / rate + around
    if free.job_seconds:
        around = free.first_use.get("textract.start", 0.0) + free.min_after.get("textract.get", 0)
        terms[JOBS] = free.job_seconds / quotas[JOBS].value + around
    terms["lambda.concurrent_executions"] = (
        free.lambda_seconds / quotas["lambda.concurrent_executions"].value
    )
    transitions = quotas["stepfunctions.StateTransition"]
    terms["stepfunctions.StateTransition"] = (
        max(0.0, free.transitions - (transitions.burst or 0)) / transitions.value
    )
    starts = quotas["stepfunctions.StartExecution"]
    terms["stepfunctions.StartExecution"] = (
        max(0.0, free.executions - (starts.burst or 0)) / starts.value
    )
    terms["no quotas (critical path, starter)"] = free.completion
    tightest = max(terms, key=lambda key: terms[key])
    return Bound(terms[tightest], tightest, terms)


@dataclass(frozen=True)
class Cost:
    total: float
    parts: dict[str, float]


def cost(stats: Stats, prices: Prices) -> Cost:
    units = stats.units
    parts = {
        "Textract": units["textract.pages"] * prices.textract_page,
        "Rekognition": units["rekognition"] * prices.rekognition_image,
        "Bedrock": units["bedrock.input"] / 1000 * prices.bedrock_input_1k
        + units["bedrock.output"] / 1000 * prices.bedrock_output_1k,
        "Translate": units["translate.chars"] * prices.translate_char,
        "Polly": units["polly.chars"] * prices.polly_neural_char,
        "Comprehend": units["comprehend.units"] * prices.comprehend_unit,
        "Step Functions": stats.transitions * prices.transition
        + stats.express_requests * EXPRESS_REQUEST_USD,
        "Lambda": stats.lambda_gb_seconds * prices.lambda_gb_second
        + stats.lambda_requests * prices.lambda_request,
    }
    return Cost(sum(parts.values()), parts)
