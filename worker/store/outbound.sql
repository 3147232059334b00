-- name: insert
insert into integrations.outbound
    (connection_id, tenant_id, action, idempotency_key, request, message_id_header)
values (%(connection_id)s, %(tenant_id)s, %(action)s, %(idempotency_key)s, %(request)s, %(message_id_header)s)
on conflict (connection_id, idempotency_key) do nothing
returning *

-- name: by_key
select * from integrations.outbound where connection_id = %(connection_id)s and idempotency_key = %(idempotency_key)s

-- name: get
select * from integrations.outbound where id = %(id)s

-- name: start_attempt
-- Committed before Google is called: attempts > 1 means an earlier attempt may have succeeded.
update integrations.outbound
set attempts = attempts + 1, status = 'sending'
where id = %(id)s and status in ('pending', 'sending')
returning *

-- name: done
update integrations.outbound
set status = 'done', provider_id = %(provider_id)s, thread_id = %(thread_id)s, completed_at = now(), last_error = null
where id = %(id)s
returning *

-- name: fail
update integrations.outbound set last_error = %(error)s where id = %(id)s
