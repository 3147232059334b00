-- name: stored_key_ids
-- The key id of every stored credential, read from the ciphertext itself (b"IK1" | len | key id | ...),
-- so a process can tell before it starts whether its keyring decrypts what the database holds.
select distinct convert_from(substring(credentials from 5 for get_byte(credentials, 3)), 'UTF8') as key_id
from integrations.connections
where credentials is not null and substring(credentials from 1 for 3) = 'IK1'::bytea
order by 1
