"""The Salesforce gateway: the only package that talks to Salesforce (through simple-salesforce)."""
