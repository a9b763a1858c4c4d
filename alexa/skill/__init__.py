"""The sage build Alexa skill: a voice client of the stack's state machine and topics.

``skill.handler.handler`` is the Lambda entry point (SAM ``AlexaFunction``).
"""
