"""The partner REST API's shared machinery: auth, company scoping, errors, pagination, idempotency.

Resource views live next to their app (`<app>/api/`) and are mounted from `config/api_urls.py`.
"""
