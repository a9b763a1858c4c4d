"""Talk to the stack's Alexa skill function without a device: build a real request envelope.

`sagebuild ask status` sends the same IntentRequest Alexa would send to the AlexaFunction
(with the skill id the stack trusts) and prints what Alexa would say.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sagebuild.cli_support.errors import UserError

INTENTS = {
    "start": "StartBuildIntent",
    "stop": "StopBuildIntent",
    "status": "StatusIntent",
    "details": "JobDetailsIntent",
    "info": "InfoIntent",
    "last": "LastBuildIntent",
    "rollback": "RollbackIntent",
    "help": "AMAZON.HelpIntent",
}


def envelope(skill_id: str, intent: str, slots: dict[str, str] | None = None) -> dict[str, Any]:
    """An Alexa IntentRequest (or LaunchRequest for intent "launch") for the skill."""
    application = {"applicationId": skill_id}
    user = {"userId": "amzn1.ask.account.SAGEBUILD-CLI"}
    request: dict[str, Any] = {
        "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
        "locale": "en-US",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if intent == "launch":
        request["type"] = "LaunchRequest"
    else:
        request.update(
            type="IntentRequest",
            intent={
                "name": intent,
                "confirmationStatus": "NONE",
                "slots": {
                    name: {"name": name, "value": value, "confirmationStatus": "NONE"}
                    for name, value in (slots or {}).items()
                },
            },
        )
    return {
        "version": "1.0",
        "session": {
            "new": True,
            "sessionId": f"amzn1.echo-api.session.{uuid.uuid4()}",
            "application": application,
            "attributes": {},
            "user": user,
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "sagebuild-cli", "supportedInterfaces": {}},
            }
        },
        "request": request,
    }


def speech_of(response: dict[str, Any]) -> str:
    """The words of an Alexa response (SSML tags removed)."""
    speech = (response.get("response") or {}).get("outputSpeech") or {}
    text = speech.get("text") or speech.get("ssml") or ""
    return re.sub(r"<[^>]+>", "", text).strip()


def ask(lambda_client: Any, function: str, command: str, version: int | None = None) -> str:
    """Invoke the skill function with the intent for `command`; what Alexa would say."""
    if command not in INTENTS:
        raise UserError(f"unknown question {command!r}; ask one of: {', '.join(INTENTS)}")
    config = lambda_client.get_function_configuration(FunctionName=function)
    skill_id = (config.get("Environment") or {}).get("Variables", {}).get("ALEXA_SKILL_ID", "")
    if not skill_id:
        raise UserError(
            "the stack has no Alexa skill id: set the stack parameter AlexaSkillId "
            "(see docs/alexa.md)"
        )
    slots = {"Version": str(version)} if version is not None else None
    event = envelope(skill_id, INTENTS[command], slots)
    answer = lambda_client.invoke(FunctionName=function, Payload=json.dumps(event).encode())
    body = json.loads(answer["Payload"].read() or b"{}")
    if answer.get("FunctionError"):
        raise UserError(f"the skill function failed: {body.get('errorMessage', body)}")
    return speech_of(body)
