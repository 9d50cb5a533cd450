"""Persistence: PynamoDB models and the queries the domain needs. Nothing above this
package touches DynamoDB."""
