"""`sagebuild ask` builds what Alexa sends (the skill's answer: tests/e2e/test_cli_local.py)."""

from sagebuild.cli_support.alexa import envelope, speech_of


def test_envelope_is_an_intent_request_for_the_skill_with_slots():
    event = envelope("amzn1.ask.skill.x", "RollbackIntent", {"Version": "3"})
    assert event["context"]["System"]["application"]["applicationId"] == "amzn1.ask.skill.x"
    assert event["request"]["type"] == "IntentRequest"
    assert event["request"]["intent"]["slots"]["Version"]["value"] == "3"


def test_speech_drops_ssml_tags():
    response = {
        "response": {"outputSpeech": {"type": "SSML", "ssml": "<speak>Hi <b>there</b></speak>"}}
    }
    assert speech_of(response) == "Hi there"


def test_every_question_of_sagebuild_ask_is_an_intent_of_the_interaction_model():
    import json

    from sagebuild.cli_support import domain
    from sagebuild.cli_support.alexa import INTENTS

    model = json.loads((domain.REPO_ROOT / "alexa" / "interaction_model.json").read_text())
    declared = {intent["name"] for intent in model["interactionModel"]["languageModel"]["intents"]}
    assert INTENTS["details"] == "JobDetailsIntent"
    assert set(INTENTS.values()) <= declared


def test_publish_refuses_an_architecture_lambda_does_not_have():
    from typer.testing import CliRunner

    from sagebuild.cli import app

    result = CliRunner().invoke(
        app, ["--aws", "--region", "us-east-1", "publish", "--bucket", "b", "--architecture", "arm"]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--architecture must be x86_64 or arm64, not 'arm'" in result.stderr
