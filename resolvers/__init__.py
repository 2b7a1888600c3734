"""Behaviour behind the API's fields: thin functions that wire rules, salesforce and store."""
