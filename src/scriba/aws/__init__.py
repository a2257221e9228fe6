"""AWS plumbing: typed boto3 clients (``clients``), service errors as scriba's typed errors
(``errors``), the bucket (``storage``), the event bus (``events``) and Step Functions
executions (``executions``).

The AI services (Textract, Rekognition, Bedrock, Translate, Polly, Comprehend) are engines:
their adapters live in ``scriba.engines.aws``.
"""
