{#- Twilio's own encodings, shared by its models. -#}

{#- A field Twilio sends as a string or a number ("1", 1, "-0.00750"), as text; NULL when it is
    missing, null, or of another JSON type. -#}
{% macro twilio_scalar(payload, key) -%}
    case when jsonb_typeof({{ payload }} -> '{{ key }}') in ('string', 'number') then {{ payload }} ->> '{{ key }}' end
{%- endmacro %}

{#- A Twilio date (RFC 2822: "Thu, 30 Jul 2015 20:12:31 +0000") as timestamptz; NULL when it does
    not parse. PostgreSQL reads the format as it is (the weekday is not checked). -#}
{% macro twilio_date(expr) -%}
    case when {{ input_is_valid() }}({{ expr }}, 'timestamptz') then ({{ expr }})::timestamptz end
{%- endmacro %}

{#- Twilio's direction of a message or call as the product's: inbound (`inbound`, and a SIP trunk's
    `trunking-originating`: from the phone network into the trunk) or outbound (`outbound-api`,
    `outbound-call`, `outbound-reply`, `outbound-dial`, `trunking-terminating`); NULL for a value
    Twilio has not documented (the record is then quarantined). -#}
{% macro twilio_direction(expr) -%}
    case
        when {{ expr }} in ('inbound', 'trunking-originating') then 'inbound'
        when {{ expr }} in ('outbound-api', 'outbound-call', 'outbound-reply', 'outbound-dial',
                            'trunking-terminating') then 'outbound'
    end
{%- endmacro %}

{#- A Twilio `from` / `to` as E.164 in the default region: a WhatsApp address (`whatsapp:+1...`) is
    its number; a client identity (`client:anna`), a SIP URI, a short code or an alphanumeric
    sender id is no phone number and gives NULL (the address itself stays in from/to_address). -#}
{% macro twilio_number(expr) -%}
    {{ to_e164("regexp_replace(" ~ expr ~ ", '^whatsapp:', '')") }}
{%- endmacro %}
