"""Completeness proof: the provider's ids for a capability's scope against what is staged and
what is normalized — counts, missing and extra ids — and, with repair, staging what is missing.
"""
