"""Twilio's admin endpoints under ``/_sandbox/``, added to the core's (``core.admin``): the changes
of ``Sandbox`` over HTTP. Imports take resources as the API returns them; unknown accounts are created.

    POST   /_sandbox/twilio/accounts                         {account_sid?, friendly_name?} -> {account_sid}
    GET    /_sandbox/twilio/accounts/{ac}                    -> the Account resource
    POST   /_sandbox/twilio/accounts/{ac}/keys               -> {sid, secret}
    DELETE /_sandbox/twilio/accounts/{ac}/keys/{sid}         revoke
    POST   /_sandbox/twilio/accounts/{ac}/numbers            {number}
    POST   /_sandbox/twilio/accounts/{ac}/messages           Message -> stored Message
    GET    /_sandbox/twilio/accounts/{ac}/messages           -> {messages: [...]} newest first
    POST   /_sandbox/twilio/accounts/{ac}/messages/{sid}/status   {status, error_code?} -> Message
    DELETE /_sandbox/twilio/accounts/{ac}/messages/{sid}
    POST   /_sandbox/twilio/accounts/{ac}/calls              Call -> stored Call
    GET    /_sandbox/twilio/accounts/{ac}/calls              -> {calls: [...]}
    DELETE /_sandbox/twilio/accounts/{ac}/calls/{sid}
    POST   /_sandbox/twilio/advance                          {seconds}
    PUT    /_sandbox/twilio/rate                             {requests_per_second?, max_concurrent?, window_seconds?}
    POST   /_sandbox/twilio/designate                        {number, status, error_code}
    POST   /_sandbox/twilio/generate                         {account_sid?, messages?, calls?, numbers?, seed?, days?}
    PUT    /_sandbox/twilio/webhooks     {public_url?, bad_signature?, duplicates?, hold?}: callbacks to the app
    POST   /_sandbox/twilio/webhooks/release   {reverse?}: send the held callbacks (newest first)
"""

from __future__ import annotations

from dataclasses import asdict

from ..core.webhooks import webhook_admin_routes

AC = r"(?P<account>[^/]+)"
SID = r"(?P<sid>[^/]+)"
P = "/_sandbox/twilio"


def twilio_admin_routes(sb) -> list[tuple]:
    """``(method, regex, handler)`` for the core ``AdminApi``; handlers call ``sb`` (a ``Sandbox``)."""

    def add_account(req):
        body = req.json()
        return {"account_sid": sb.add_account(body.get("account_sid"), body.get("friendly_name"))}

    def get_account(req, account):
        return sb.account(account)

    def create_key(req, account):
        return sb.create_api_key(account, req.json().get("friendly_name", ""))

    def revoke_key(req, account, sid):
        sb.revoke_api_key(account, sid)

    def add_number(req, account):
        sb.add_number(account, req.json()["number"])

    def import_message(req, account):
        return sb.import_message(account, req.json())

    def list_messages(req, account):
        return {"messages": sb.messages(account)}

    def set_status(req, account, sid):
        body = req.json()
        return sb.set_message_status(account, sid, body["status"], body.get("error_code"))

    def delete_message(req, account, sid):
        sb.delete_message(account, sid)

    def import_call(req, account):
        return sb.import_call(account, req.json())

    def list_calls(req, account):
        return {"calls": sb.calls(account)}

    def delete_call(req, account, sid):
        sb.delete_call(account, sid)

    def advance(req):
        sb.advance(float(req.json()["seconds"]))

    def rate(req):
        body = req.json()
        return asdict(sb.set_rate(body.get("requests_per_second"), body.get("max_concurrent"),
                                  body.get("window_seconds")))

    def designate(req):
        body = req.json()
        sb.designate(body["number"], body["status"], body["error_code"])

    def generate(req):
        body = req.json()
        return sb.generate(body.get("account_sid"), body.get("messages", 500), body.get("calls", 200),
                           body.get("numbers"), body.get("seed"), body.get("days", 30.0))

    return [
        ("POST", rf"{P}/accounts", add_account),
        ("GET", rf"{P}/accounts/{AC}", get_account),
        ("POST", rf"{P}/accounts/{AC}/keys", create_key),
        ("DELETE", rf"{P}/accounts/{AC}/keys/{SID}", revoke_key),
        ("POST", rf"{P}/accounts/{AC}/numbers", add_number),
        ("POST", rf"{P}/accounts/{AC}/messages", import_message),
        ("GET", rf"{P}/accounts/{AC}/messages", list_messages),
        ("POST", rf"{P}/accounts/{AC}/messages/{SID}/status", set_status),
        ("DELETE", rf"{P}/accounts/{AC}/messages/{SID}", delete_message),
        ("POST", rf"{P}/accounts/{AC}/calls", import_call),
        ("GET", rf"{P}/accounts/{AC}/calls", list_calls),
        ("DELETE", rf"{P}/accounts/{AC}/calls/{SID}", delete_call),
        ("POST", rf"{P}/advance", advance),
        ("PUT", rf"{P}/rate", rate),
        ("POST", rf"{P}/designate", designate),
        ("POST", rf"{P}/generate", generate),
        *webhook_admin_routes(P, sb.webhooks),
    ]
