import pathlib

pytest_plugins = ["tests.fixtures.database"]
if (pathlib.Path(__file__).parent / "fixtures" / "sandbox.py").exists():
    pytest_plugins.append("tests.fixtures.sandbox")
if (pathlib.Path(__file__).parent / "fixtures" / "microsoft_sandbox.py").exists():
    pytest_plugins.append("tests.fixtures.microsoft_sandbox")
if (pathlib.Path(__file__).parent / "fixtures" / "slack_sandbox.py").exists():
    pytest_plugins.append("tests.fixtures.slack_sandbox")
if (pathlib.Path(__file__).parent / "fixtures" / "twilio_sandbox.py").exists():
    pytest_plugins.append("tests.fixtures.twilio_sandbox")
if (pathlib.Path(__file__).parent / "fixtures" / "quickbooks_sandbox.py").exists():
    pytest_plugins.append("tests.fixtures.quickbooks_sandbox")
