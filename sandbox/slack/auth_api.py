"""``auth.test`` (who am I) and ``auth.revoke`` (take this token back; later calls: ``token_revoked``)."""

from __future__ import annotations

from .call import Call


def auth_test(call: Call) -> dict:
    team = call.team
    answer = {"url": f"https://{team.domain}.slack.com/", "team": team.name,
              "user": team.users.get(call.actor, {}).get("name", ""), "team_id": team.id, "user_id": call.actor}
    if call.is_bot:
        answer["bot_id"] = team.bot_id
    answer["is_enterprise_install"] = False
    return answer


def auth_revoke(call: Call) -> dict:
    if call.args.flag("test"):
        return {"revoked": False}
    return {"revoked": call.oauth.revoke(call.caller.token)}


METHODS = {"auth.test": auth_test, "auth.revoke": auth_revoke}
