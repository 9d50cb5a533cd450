"""Plain Python rules of the product: no boto3, no Lambda types, no I/O."""
