{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='email_id',
    pre_hook="{{ watermark_begin() }}",
    post_hook=[
      "delete from {{ this }} as gone where gone.email_id in ({{ changed_email_ids() }})
         and not exists (select 1 from {{ ref('emails') }} as e where e.email_id = gone.email_id)",
      "{{ watermark_commit() }}",
    ],
    indexes=[
      {'columns': ['participant_id'], 'unique': True},
      {'columns': ['email_id']},
      {'columns': ['address']},
    ],
  )
}}
-- email x role (from, to, cc, bcc, reply_to) x address, from the same copy as product.emails.
-- Rebuilt per email (delete+insert on email_id), so an address that disappears goes away too;
-- the post-hook drops the participants of an email that is gone.
with emails as (

    select
        email_id,
        source_object_key
    from {{ ref('emails') }}
    {% if is_incremental() %}
    where email_id in ({{ changed_email_ids() }})
    {% endif %}

),

addresses as (

    select
        emails.email_id,
        p ->> 'role' as role,
        lower(btrim(p ->> 'address')) as address,
        nullif(p ->> 'display_name', '') as display_name,
        (p ->> 'ord')::int as position
    from emails
    inner join {{ ref('int_email_copies_identified') }} as mailbox_messages
        on emails.source_object_key = mailbox_messages.object_key
    cross join lateral jsonb_array_elements(mailbox_messages.participants) as p

),

final as (

    -- an address listed twice in one role counts once (its first position)
    select distinct on (email_id, role, address)
        {{ stable_uuid(['email_id::text', 'role', 'address']) }} as participant_id,
        email_id,
        role,
        address,
        display_name,
        position
    from addresses
    where address <> ''
    order by email_id, role, address, position

)

select * from final
