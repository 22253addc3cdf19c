"""eventcoder: news articles in, who-did-what-to-whom events out."""

__version__ = "0.1.0"
SCHEMA_VERSION = "1.2"
