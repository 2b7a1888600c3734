"""Orchestration, as plain functions of an org: the sync pass (sync, then facts, then the next
issue's evaluation) and the clock tick (`passes`), the per-org registry that runs them one at a
time (`orgs`), the request-time freshness check (`freshness`) and the in-process scheduler of
`dealpulse serve` (`scheduler`). A job queue can run the same passes later.

Layer: below resolvers, above auth, salesforce, store and rules; it never imports `api` (the
Salesforce secrets come in through `orgs.SalesforceSecrets`)."""
