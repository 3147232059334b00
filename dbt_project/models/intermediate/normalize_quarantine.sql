{{ config(materialized='view') }}
{{ union_quarantine_models() }}
