"""One module per Lambda function. Each parses its event, calls domain code, answers."""
