"""One construct per capability of the jobtrail stack; ``infra.stack`` composes them."""
