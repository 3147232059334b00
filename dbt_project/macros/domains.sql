{#- A contact's email address and its company's web domain, from what an accounting or CRM record
    holds (a QuickBooks Customer's PrimaryEmailAddr and WebAddr). -#}

{#- The first address of an email field (QBO takes several, separated by commas or semicolons),
    trimmed and in lower case; NULL when it does not look like an address (local@host.tld). -#}
{% macro first_email_address(expr) -%}
    nullif(substring(lower(btrim(split_part(replace({{ expr }}, ';', ','), ',', 1))) from '^[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]+$'), '')
{%- endmacro %}

{#- The host of a web address ("https://www.acme.com/contact", "www.acme.com", "acme.com:8080")
    without scheme, user info, port, path, trailing dot or a leading "www.", in lower case; NULL when
    what is left is no domain name (no dot, an IP address, characters a host cannot have). -#}
{% macro web_domain(expr) -%}
    (select host.name from (
        select regexp_replace(
                   regexp_replace(lower(btrim({{ expr }})),
                                  '^([a-z][a-z0-9+.-]*://)?([^/?#@]*@)?([^/?#:]*).*$', '\3'),
                   '^www\.|\.$', '', 'g') as name
    ) as host
    where host.name ~ '^[[:alnum:]]([[:alnum:]-]*[[:alnum:]])?(\.[[:alnum:]]([[:alnum:]-]*[[:alnum:]])?)+$'
      and host.name !~ '^[0-9.]+$')
{%- endmacro %}

{#- The domain of an email address (as first_email_address gives it) unless it is a free-mail
    provider's (var free_mail_domains): gmail.com says nothing about the customer's company. -#}
{% macro company_email_domain(address_expr) -%}
    case when split_part({{ address_expr }}, '@', 2)
              not in ('{{ var("free_mail_domains") | join("', '") }}')
         then nullif(split_part({{ address_expr }}, '@', 2), '') end
{%- endmacro %}

{#- The company's domain: the web address's host, else the email's domain unless it is free mail. -#}
{% macro company_domain(web_expr, address_expr) -%}
    coalesce({{ web_domain(web_expr) }}, {{ company_email_domain(address_expr) }})
{%- endmacro %}
