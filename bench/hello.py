"""The ceiling for bench/web.py: a bare Flask route under the portal's own gunicorn.conf.py.

    GUNICORN_BIND=127.0.0.1:5201 .venv/bin/gunicorn -c gunicorn.conf.py bench.hello:app
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
