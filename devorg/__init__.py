"""devorg: a local stand-in for the Salesforce REST API, seeded with a believable sales org.

Reached over HTTP only (simple-salesforce talks to it like to a real org); production code never
imports this package. See README.md, section "devorg", for what it emulates and what it does not.
"""
