"""The bare Flask route every scenario is compared with, served by the same gunicorn setup."""

from flask import Flask

app = Flask(__name__)


@app.route("/hello")
def hello():
    return "Hello, world!"
