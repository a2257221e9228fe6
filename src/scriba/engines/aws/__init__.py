"""AWS engines: boto3 adapters for Textract, Rekognition, Bedrock, Translate, Polly and
Comprehend, each given its typed client (``scriba.engines.BACKENDS`` builds them). These are the
only engines inside the Lambda packages."""
