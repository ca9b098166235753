"""The local web page for design sessions (``qimeng serve web``): a stdlib HTTP server and a plain
HTML+JS page, on the same session database as ``qimeng chat``."""
