"""The local runtime: the real handlers behind a local HTTP gateway, moto's DynamoDB server,
a stream pump and a timer; ``python -m infra.local`` (``make run``)."""
