-- name: demo_chat
-- The tenant's newest chat messages as the CRM shows them (the demo's summary).
select channel_name, author_name, author_address, text, sent_at, is_reply, edited_at
from product.chat_messages
where tenant_id = %(tenant_id)s and not is_deleted
order by sent_at desc
limit %(limit)s

-- name: demo_chat_count
select count(*) as n, count(distinct channel_id) as channels, count(author_address) as with_address
from product.chat_messages
where tenant_id = %(tenant_id)s and not is_deleted
