"""The local stack: moto with real training jobs, model servers and image builds."""
