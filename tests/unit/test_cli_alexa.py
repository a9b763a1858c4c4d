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
