"""Graph v1.0 mail: ``/me``, mail folders, messages, delta, send, drafts, replies and moves.

Each handler takes a ``Call`` and returns a JSON-able dict (200) or a ``Response``. Scope checks
happen in the route table (``routes``); what a scope hides (``Mail.ReadBasic``: no body, no
headers) happens in ``render``.
"""

from __future__ import annotations

from ..core.wire import Response
from . import mime, odata
from . import scopes as s
from .errors import GraphError, bad_request
from .identity import user_oid
from .mail_store import Mailbox, StoredMessage, new_id, now_iso
from .odata import Call

HIDDEN_UNLESS_SELECTED = ("internetMessageHeaders", "uniqueBody")
NEEDS_FULL_READ = ("body", "uniqueBody", "internetMessageHeaders", "bodyPreview")


def person(email: str) -> dict:
    return {"emailAddress": {"name": email.split("@")[0].replace(".", " ").title(), "address": email}}


def render(message: StoredMessage, mailbox: Mailbox, call: Call, fields: set[str] | None = None,
           immutable: bool | None = None) -> dict:
    """The message resource as Graph returns it for this caller's preferences and scopes
    (`immutable`: the id format, when not the call's own ``Prefer``, as in a delta round)."""
    data = message.data
    wanted = "text" if call.prefer.get("outlook.body-content-type", "").lower() == "text" else "html"
    if wanted == "text" and 'outlook.body-content-type="text"' not in call.applied:
        call.applied.append('outlook.body-content-type="text"')
    resource = {
        "@odata.etag": f'W/"{message.change_key}"',
        "id": message.immutable_id if (call.immutable if immutable is None else immutable) else message.rest_id,
        "createdDateTime": message.created,
        "lastModifiedDateTime": message.modified,
        "changeKey": message.change_key,
        "categories": data.get("categories") or [],
        "receivedDateTime": data.get("receivedDateTime"),
        "sentDateTime": data.get("sentDateTime"),
        "hasAttachments": bool(data.get("hasAttachments")),
        "internetMessageId": data.get("internetMessageId"),
        "subject": data.get("subject") or "",
        "bodyPreview": mime.preview(data.get("body")),
        "importance": data.get("importance") or "normal",
        "parentFolderId": message.folder_id,
        "conversationId": data.get("conversationId"),
        "isDeliveryReceiptRequested": bool(data.get("isDeliveryReceiptRequested")),
        "isReadReceiptRequested": bool(data.get("isReadReceiptRequested")),
        "isRead": bool(data.get("isRead")),
        "isDraft": bool(data.get("isDraft")),
        "webLink": f"https://outlook.office365.com/owa/?ItemID={message.rest_id}&exvsurl=1&viewmodel=ReadMessageItem",
        "inferenceClassification": data.get("inferenceClassification") or "focused",
        "body": mime.body_as(data.get("body"), wanted),
        "sender": data.get("sender") or data.get("from"),
        "from": data.get("from"),
        "toRecipients": data.get("toRecipients") or [],
        "ccRecipients": data.get("ccRecipients") or [],
        "bccRecipients": data.get("bccRecipients") or [],
        "replyTo": data.get("replyTo") or [],
        "flag": data.get("flag") or {"flagStatus": "notFlagged"},
    }
    if fields is not None:
        if "internetMessageHeaders" in fields:
            resource["internetMessageHeaders"] = data.get("internetMessageHeaders") or []
        if "uniqueBody" in fields:
            resource["uniqueBody"] = mime.body_as(data.get("body"), wanted)
    if not s.has_full_mail_read(call.scopes):
        for key in NEEDS_FULL_READ:
            resource.pop(key, None)
    return odata.apply_select(resource, fields)


def render_folder(mailbox: Mailbox, folder, fields=None) -> dict:
    messages = mailbox.in_folder(folder.id)
    resource = {
        "id": folder.id,
        "displayName": folder.display_name,
        "parentFolderId": folder.parent_id,
        "childFolderCount": len(mailbox.children(folder.id)),
        "unreadItemCount": sum(1 for m in messages if not m.data.get("isRead")),
        "totalItemCount": len(messages),
        "isHidden": False,
    }
    return odata.apply_select(resource, fields)


def check_custom_headers(data: dict) -> None:
    for header in data.get("internetMessageHeaders") or []:
        if not str(header.get("name", "")).lower().startswith("x-"):
            raise GraphError(400, "InvalidInternetMessageHeader",
                             f"The internet message header name '{header.get('name')}' should start with 'x-' "
                             "or 'X-'.")


class MailApi:
    def __init__(self, world) -> None:
        self.world = world

    def routes(self) -> list[tuple]:
        """``(http method, path template under /v1.0, method id, scopes any of which suffices, handler)``."""
        f = "/me/mailFolders/{folder}"
        m = "/me/messages/{id}"
        return [
            ("GET", "/me", "users.get", s.ANY, self.me),
            ("GET", "/me/mailFolders", "mail.folders.list", s.MAIL_READ_BASIC, self.list_folders),
            ("POST", "/me/mailFolders", "mail.folders.create", s.MAIL_WRITE, self.create_folder),
            ("GET", f, "mail.folders.get", s.MAIL_READ_BASIC, self.get_folder),
            ("GET", f + "/childFolders", "mail.folders.children", s.MAIL_READ_BASIC, self.child_folders),
            ("POST", f + "/childFolders", "mail.folders.create", s.MAIL_WRITE, self.create_folder),
            ("GET", f + "/messages/delta", "mail.messages.delta", s.MAIL_READ_BASIC, self.delta),
            ("GET", f + "/messages", "mail.messages.list", s.MAIL_READ_BASIC, self.list_messages),
            ("POST", f + "/messages", "mail.messages.create", s.MAIL_WRITE, self.create_draft),
            ("GET", "/me/messages", "mail.messages.list", s.MAIL_READ_BASIC, self.list_messages),
            ("POST", "/me/messages", "mail.messages.create", s.MAIL_WRITE, self.create_draft),
            ("GET", m, "mail.messages.get", s.MAIL_READ_BASIC, self.get_message),
            ("GET", m + "/$value", "mail.messages.mime", s.MAIL_READ, self.get_mime),
            ("GET", m + "/attachments", "mail.attachments.list", s.MAIL_READ, self.attachments),
            ("PATCH", m, "mail.messages.update", s.MAIL_WRITE, self.update_message),
            ("DELETE", m, "mail.messages.delete", s.MAIL_WRITE, self.delete_message),
            ("POST", m + "/send", "mail.messages.send", s.MAIL_SEND, self.send_draft),
            ("POST", m + "/createReply", "mail.messages.createReply", s.MAIL_WRITE, self.create_reply),
            ("POST", m + "/reply", "mail.messages.reply", s.MAIL_SEND, self.reply),
            ("POST", m + "/move", "mail.messages.move", s.MAIL_WRITE, self.move),
            ("POST", "/me/sendMail", "mail.sendMail", s.MAIL_SEND, self.send_mail),
        ]

    def box(self, call: Call) -> Mailbox:
        return self.world.mailbox(call.email)

    # -- user and folders ----------------------------------------------------------------------
    def me(self, call: Call) -> dict:
        name = person(call.email)["emailAddress"]["name"]
        given, _, surname = name.partition(" ")
        return odata.apply_select({
            "@odata.context": f"{call.base}/v1.0/$metadata#users/$entity",
            "businessPhones": [], "displayName": name, "givenName": given, "surname": surname or None,
            "jobTitle": None, "mail": call.email, "mobilePhone": None, "officeLocation": None,
            "preferredLanguage": "en-US", "userPrincipalName": call.email, "id": user_oid(call.email),
        }, odata.selected(call.req))

    def list_folders(self, call: Call) -> dict:
        box = self.box(call)
        fields = odata.selected(call.req)
        return {"value": [render_folder(box, f, fields) for f in box.children(box.root_id)]}

    def get_folder(self, call: Call) -> dict:
        box = self.box(call)
        return render_folder(box, box.folder(call.req.path_params["folder"]), odata.selected(call.req))

    def child_folders(self, call: Call) -> dict:
        box = self.box(call)
        parent = box.folder(call.req.path_params["folder"])
        fields = odata.selected(call.req)
        return {"value": [render_folder(box, f, fields) for f in box.children(parent.id)]}

    def create_folder(self, call: Call) -> Response:
        box = self.box(call)
        name = call.json().get("displayName")
        if not name:
            raise bad_request("displayName is required.")
        folder = box.add_folder(name, call.req.path_params.get("folder"))
        return Response.json(201, render_folder(box, folder))

    # -- reading messages ------------------------------------------------------------------------
    def get_message(self, call: Call) -> dict:
        box = self.box(call)
        return render(box.get(call.req.path_params["id"]), box, call, odata.selected(call.req))

    def get_mime(self, call: Call) -> Response:
        message = self.box(call).get(call.req.path_params["id"])
        return Response(200, mime.to_mime(message.data), [("Content-Type", "text/plain")])

    def attachments(self, call: Call) -> dict:
        message = self.box(call).get(call.req.path_params["id"])
        return {"value": [dict(a) for a in message.attachments]}

    def list_messages(self, call: Call) -> dict:
        box = self.box(call)
        folder = call.req.path_params.get("folder")
        messages = box.in_folder(box.folder(folder).id) if folder else list(box.messages.values())
        order = (call.req.param("$orderby") or "receivedDateTime desc").strip()
        if order not in ("receivedDateTime desc", "receivedDateTime asc", "receivedDateTime"):
            raise bad_request(f"The $orderby '{order}' is not supported.", "BadRequest")
        messages.sort(key=lambda m: (m.data.get("receivedDateTime") or "", m.immutable_id),
                      reverse=order.endswith("desc"))
        clauses = odata.parse_filter(call.req.param("$filter"))
        fields = odata.selected(call.req)
        found = [m for m in messages if odata.matches(m.data, clauses)]
        size, start = odata.top(call.req), odata.skip(call.req)
        page = found[start:start + size]
        answer = {"value": [render(m, box, call, fields) for m in page]}
        if start + size < len(found):
            answer["@odata.nextLink"] = odata.next_link(call.base, call.req, start + size)
        return answer

    def delta(self, call: Call) -> dict:
        box = self.box(call)
        folder_ref = call.req.path_params["folder"]
        folder = box.folder(folder_ref)
        scope = ("mail", folder.id)
        skiptoken, deltatoken = call.req.param("$skiptoken"), call.req.param("$deltatoken")
        if skiptoken:
            state = box.delta.load(skiptoken, scope)
        elif deltatoken:
            previous = box.delta.load(deltatoken, scope)
            now = box.snapshot(folder.id, previous.options["immutable"])
            state = box.delta.round(scope, previous.options, previous.snapshot, now)
        else:
            options = {"select": odata.selected(call.req), "immutable": call.immutable}
            state = box.delta.round(scope, options, {}, box.snapshot(folder.id, options["immutable"]))
        if state.options["immutable"]:
            call.immutable  # noqa: B018 - records Preference-Applied
        entries, link_param, token = box.delta.page(state, call.page_size())
        values = []
        for kind, key in entries:
            if kind == "removed":
                values.append({"@odata.type": "#microsoft.graph.message", "id": key,
                               "@removed": {"reason": "deleted"}})
            elif key in box.messages and box.messages[key].folder_id == folder.id:
                values.append(render(box.messages[key], box, call, state.options["select"],
                                     state.options["immutable"]))
        link = f"{call.base}/v1.0/me/mailFolders/{folder_ref}/messages/delta?{link_param}={token}"
        answer = {"@odata.context": f"{call.base}/v1.0/$metadata#Collection(message)", "value": values}
        answer["@odata.nextLink" if link_param == "$skiptoken" else "@odata.deltaLink"] = link
        return answer

    # -- writing -------------------------------------------------------------------------------
    def create_draft(self, call: Call) -> Response:
        box = self.box(call)
        data = dict(call.json())
        check_custom_headers(data)
        data.update(isDraft=True, isRead=True)
        data.setdefault("from", person(call.email))
        data.pop("receivedDateTime", None)
        folder = call.req.path_params.get("folder") or "drafts"
        message = box.insert(folder, data)
        return Response.json(201, render(message, box, call))

    def update_message(self, call: Call) -> dict:
        box = self.box(call)
        message = box.update(call.req.path_params["id"], call.json())
        return render(message, box, call)

    def delete_message(self, call: Call) -> Response:
        self.box(call).delete(call.req.path_params["id"])
        return Response(204)

    def move(self, call: Call) -> Response:
        box = self.box(call)
        destination = call.json().get("destinationId")
        if not destination:
            raise bad_request("destinationId is required.")
        message = box.move(call.req.path_params["id"], destination)
        return Response.json(201, render(message, box, call))

    def send_mail(self, call: Call) -> Response:
        body = call.json()
        message = body.get("message")
        if not isinstance(message, dict):
            raise bad_request("The 'message' parameter is required.", "ErrorInvalidParameter")
        check_custom_headers(message)
        self.deliver(call.email, dict(message), save=body.get("saveToSentItems", True) is not False)
        return Response(202)

    def send_draft(self, call: Call) -> Response:
        box = self.box(call)
        message = box.get(call.req.path_params["id"])
        if not message.data.get("isDraft"):
            raise GraphError(400, "ErrorInvalidOperation", "Only a draft message can be sent.")
        recipients(message.data)
        box.move(message.immutable_id, "sentitems")
        message.data.update(isDraft=False, sentDateTime=now_iso(), receivedDateTime=now_iso())
        message.touch()
        self.deliver(call.email, dict(message.data), save=False)
        return Response(202)

    def create_reply(self, call: Call) -> Response:
        box = self.box(call)
        original = box.get(call.req.path_params["id"])
        draft = box.insert("drafts", reply_fields(call.email, original, call.json()))
        return Response.json(201, render(draft, box, call))

    def reply(self, call: Call) -> Response:
        original = self.box(call).get(call.req.path_params["id"])
        self.deliver(call.email, reply_fields(call.email, original, call.json()), save=True)
        return Response(202)

    def deliver(self, sender: str, data: dict, save: bool) -> None:
        """Send `data` from `sender`: a copy in sentitems (when `save`) and one in the inbox of every
        recipient the sandbox knows (the same internetMessageId, as one SMTP message)."""
        targets = recipients(data)
        data.pop("id", None)
        data.setdefault("from", person(sender))
        data.setdefault("internetMessageId", f"<{new_id('')[:20]}@sandbox.outlook.test>")
        stamp = now_iso()
        data.update(isDraft=False, sentDateTime=stamp, receivedDateTime=stamp)
        if save:
            self.world.mailbox(sender).insert("sentitems", {**data, "isRead": True})
        for address in sorted(targets):
            if self.world.has(address) and address != sender:
                self.world.mailbox(address).insert("inbox", {**data, "isRead": False})


def recipients(data: dict) -> set[str]:
    found = {(r.get("emailAddress") or {}).get("address", "").lower()
             for key in ("toRecipients", "ccRecipients", "bccRecipients") for r in data.get(key) or []}
    found.discard("")
    if not found:
        raise GraphError(400, "ErrorInvalidRecipients", "At least one recipient isn't valid., A message can't be "
                                                        "sent because it contains no recipients.")
    return found


def reply_fields(sender: str, original: StoredMessage, body: dict) -> dict:
    data = dict(body.get("message") or {})
    comment = body.get("comment") or ""
    data.setdefault("subject", "RE: " + (original.data.get("subject") or ""))
    data.setdefault("toRecipients", [original.data.get("from") or person(sender)])
    data.setdefault("body", {"contentType": "html", "content": mime.text_to_html(comment)})
    data.setdefault("conversationId", original.data.get("conversationId"))
    data.update(isDraft=True, isRead=True, **{"from": person(sender)})
    answered = original.data.get("internetMessageId")
    if answered:  # Outlook threads a reply by these headers, as the sent message carries them
        earlier = next((h.get("value") for h in original.data.get("internetMessageHeaders") or []
                        if str(h.get("name", "")).lower() == "references"), "")
        data["internetMessageHeaders"] = [{"name": "In-Reply-To", "value": answered},
                                          {"name": "References", "value": f"{earlier} {answered}".strip()},
                                          *(data.get("internetMessageHeaders") or [])]
    return data
