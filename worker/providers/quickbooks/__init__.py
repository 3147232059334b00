"""QuickBooks Online: a company's customers, invoices and payments (Accounting API v3), connected
with Intuit's OAuth 2 whose refresh token rotates on every refresh."""
