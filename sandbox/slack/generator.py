"""Seeded workspaces for the demo and benches: people, channels and a month of conversation.

Each channel gets ``messages_per_channel`` messages in all (top level plus replies), spread over the
30 days before now (less two hours); the same seed gives the same people, channels, texts and shapes:

- about one top-level message in six starts a thread of 1-5 replies, one reply in ten is broadcast;
- one in twenty-five is a ``bot_message`` (an integration posting), one in forty shares a file;
- one in twenty is edited afterwards, one in fifty carries message metadata;
- texts mention people (``<@U...>``) and links the way Slack's mrkdwn writes them.

The bot is a member of every channel except the last public one when there are three or more (so
``not_in_channel`` paths exist); private channels (every fifth) have the bot and half the people.
"""

from __future__ import annotations

import random
import time

from . import ids

FIRST = ["Ana", "Ben", "Cleo", "Dario", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Liam",
         "Mara", "Nico", "Olga", "Pau", "Quinn", "Rosa", "Sami", "Teo"]
LAST = ["Lopez", "Baker", "Nguyen", "Rossi", "Fischer", "Haddad", "Berg", "Martin", "Costa", "Weber", "Sato",
        "Moreau", "Silva", "Novak", "Ivanova", "Puig", "Walsh", "Duarte", "Karimi", "Lind"]
CHANNELS = ["general", "sales", "support", "engineering", "leadership", "marketing", "random", "deals",
            "onboarding", "partners"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark Industries", "Wayne Enterprises", "Tyrell"]
SENTENCES = [
    "Call with {company} went well, they want a quote by Friday.",
    "Can someone review the {company} contract before tomorrow?",
    "{company} renewed for another year :tada:",
    "Heads up: {company} reported an outage on their side.",
    "Pushed the fix for the invoice export, <@{user}> can you check?",
    "Notes from the {company} meeting are here: <https://docs.sandbox.invalid/{n}|meeting notes>",
    "<@{user}> are you joining the demo with {company} at 3pm?",
    "Pipeline review moved to Thursday.",
    "New lead from the webinar: {company}, 200 seats.",
    "Who owns the follow-up with {company}?",
    "Shipping the release today, please hold merges.",
    "Thanks <@{user}>, that unblocked us!",
]
REPLIES = ["On it.", "Done :white_check_mark:", "Thanks!", "I'll take this one.", "Can we sync after lunch?",
           "+1", "Sent them the updated numbers.", "Looks good to me.", "<@{user}> might know more."]


def populate(sb, team_id: str, channels: int, messages_per_channel: int, users, seed: int) -> dict:
    rng = random.Random(seed)
    team = sb.world.team(team_id)
    people = _people(sb, team, users, rng)
    person_ids = [p["id"] for p in people] or [team.bot_user_id]
    now = int(time.time()) - 7200  # replies trail their parent by up to ~75 min: all stay in the past
    start = now - 30 * 86400
    summary = {"team_id": team_id, "users": person_ids, "channels": [], "messages": 0, "replies": 0}
    public_seen = 0
    public_total = sum(1 for i in range(channels) if i % 5 != 4)
    for index in range(channels):
        name = CHANNELS[index % len(CHANNELS)] + ("" if index < len(CHANNELS) else f"-{index // len(CHANNELS)}")
        if team.channel_named(name) is not None:
            name = f"{name}-{rng.randrange(1000, 9999)}"
        private = index % 5 == 4
        if not private:
            public_seen += 1
        bot_member = private or channels < 3 or public_seen < public_total
        members = person_ids if not private else person_ids[: max(1, len(person_ids) // 2)]
        channel = sb.world.add_channel(team_id, name, is_private=private, bot_member=bot_member, members=members,
                                       created=start - 86400)
        counts = _conversation(sb, team, channel, members, messages_per_channel, start, now, rng)
        summary["channels"].append({"id": channel.id, "name": name, "is_private": private, "bot_member": bot_member,
                                    **counts})
        summary["messages"] += counts["messages"]
        summary["replies"] += counts["replies"]
    return summary


def _people(sb, team, users, rng: random.Random) -> list[dict]:
    emails = list(users) if not isinstance(users, int) else []
    count = len(emails) if emails else int(users)
    people = []
    for index in range(count):
        first, last = FIRST[index % len(FIRST)], LAST[(index * 7 + rng.randrange(len(LAST))) % len(LAST)]
        email = emails[index] if emails else f"{first.lower()}.{last.lower()}@{team.domain}.test"
        people.append(sb.world.add_user(team.id, {
            "real_name": f"{first} {last}", "name": email.split("@")[0],
            "profile": {"email": email, "title": rng.choice(["Account Executive", "Engineer", "Support Lead",
                                                              "Head of Sales", "Designer", ""])},
            "is_admin": index == 0, "is_owner": index == 0,
        }))
    return people


def _text(rng: random.Random, pool: list[str], people: list[str]) -> str:
    return rng.choice(pool).format(company=rng.choice(COMPANIES), user=rng.choice(people), n=rng.randrange(1000))


def _conversation(sb, team, channel, people: list[str], total: int, start: int, end: int,
                  rng: random.Random) -> dict:
    """`total` messages between `start` and `end` (seconds), oldest first, threads included."""
    step = max(1, (end - start) * 1_000_000 // max(1, total))
    at = start * 1_000_000
    written = replies = 0
    while written < total:
        at += rng.randrange(step // 2 + 1, step + step // 2 + 2)
        parent = _insert(channel, team, _top_message(team, people, rng), at, rng)
        written += 1
        if written < total and rng.random() < 1 / 6:
            reply_at = at
            for _ in range(min(rng.randint(1, 5), total - written)):
                reply_at += rng.randrange(30_000_000, 900_000_000)
                reply = {"type": "message", "user": rng.choice(people), "text": _text(rng, REPLIES, people),
                         "thread_ts": parent.ts, "team": team.id}
                if rng.random() < 0.1:
                    reply["subtype"] = "thread_broadcast"
                _insert(channel, team, reply, reply_at, rng)
                written += 1
                replies += 1
            at = max(at, reply_at - step)
    edited = 0
    for micros in list(channel.messages):
        stored = channel.messages[micros]
        if stored.data.get("user") and not stored.data.get("subtype") and rng.random() < 1 / 20:
            channel.edit(micros, stored.data["text"] + " (edited)", sb.world.rng)
            edited += 1
    return {"messages": written, "replies": replies, "edited": edited}


def _top_message(team, people: list[str], rng: random.Random) -> dict:
    roll = rng.random()
    text = _text(rng, SENTENCES, people)
    if roll < 1 / 25:
        return {"type": "message", "subtype": "bot_message", "bot_id": "B0INTEGRATN", "username": "CRM Alerts",
                "text": f"Deal stage changed: {rng.choice(COMPANIES)} moved to Negotiation", "team": team.id}
    message = {"type": "message", "user": rng.choice(people), "text": text, "team": team.id,
               "client_msg_id": f"{rng.getrandbits(32):08x}-0000-4000-8000-{rng.getrandbits(48):012x}"}
    if roll < 1 / 25 + 1 / 40:
        file_id = ids.new_id(rng, "F")
        message["files"] = [{"id": file_id, "name": "proposal.pdf", "title": "proposal.pdf", "mimetype": "application/pdf",
                             "filetype": "pdf", "size": rng.randrange(10_000, 900_000), "user": message["user"],
                             "url_private": f"https://files.sandbox.invalid/{file_id}/proposal.pdf"}]
        message["upload"] = True
    elif roll > 1 - 1 / 50:
        message["metadata"] = {"event_type": "deal_updated",
                               "event_payload": {"company": rng.choice(COMPANIES), "stage": "negotiation"}}
    return message


def _insert(channel, team, message: dict, at: int, rng: random.Random):
    while at in channel.messages:
        at += 1
    message["ts"] = ids.to_ts(at)
    return channel.insert(message, rng)
