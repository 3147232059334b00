-- name: normalized_records
-- The company's customers, invoices and payments in the product tables (for `status`).
select (select count(*) from product.customers where connection_id = %(connection_id)s)
     + (select count(*) from product.invoices where connection_id = %(connection_id)s)
     + (select count(*) from product.payments where connection_id = %(connection_id)s) as n

-- name: normalized_customer_ids
select external_id from product.customers where connection_id = %(connection_id)s and is_deleted is not true

-- name: normalized_invoice_ids
select external_id from product.invoices where connection_id = %(connection_id)s and is_deleted is not true

-- name: normalized_payment_ids
select external_id from product.payments where connection_id = %(connection_id)s and is_deleted is not true

-- name: demo_customers
-- The demo tenant's customers with the most owed, as the CRM has them (product.customers, by dbt).
select display_name, email, domain, balance, currency, is_active
from product.customers
where tenant_id = %(tenant_id)s and is_deleted is not true
order by balance desc, display_name
limit %(limit)s

-- name: demo_invoices
-- The demo tenant's newest invoices with their status (product.invoices joined to their customer).
select i.doc_number, c.display_name as customer, i.issued_on, i.due_on, i.total, i.balance, i.currency, i.status
from product.invoices as i
left join product.customers as c on c.customer_id = i.customer_id
where i.tenant_id = %(tenant_id)s and i.is_deleted is not true
order by i.issued_on desc, i.doc_number desc
limit %(limit)s

-- name: demo_staged_counts
select h.resource_type, count(*) as n
from integrations.raw_heads as h
join integrations.connections as c on c.id = h.connection_id
where c.tenant_id = %(tenant_id)s and h.resource_type like 'quickbooks.%%' and not h.is_deleted
group by h.resource_type
order by h.resource_type
